/* symconv explore as an anywidget view (symconv/explore/widget.py writes the module around this file).
 *
 * Defined before this file: symconvDocument(root, prefix), the page's `document` inside a container;
 * symconvExplore(document), the page's script (explore.js) as a function; VIEW_TOKEN, the container
 * id in the model's html, which each view replaces with an id of its own (two views never share ids).
 * The view draws the model's html (the explorer fragment Python computed from symconv's taps),
 * enables its controls, and sends each change to Python as the trait the control stands for;
 * Python recomputes the layer and sends the new html back. Nothing here computes a tap.
 */
const TRAITS = {
  "in-channels": "in_channels", "out-channels": "out_channels", "kernel-size": "kernel_size",
  "stride": "stride", "padding": "padding", "dilation": "dilation", "groups": "groups",
  "padding-mode": "padding_mode", "input-length": "input_size", "input-shape": "input_size",
  "output-padding": "output_padding", "transposed": "transposed", "flip": "flip", "no-bias": "bias"
};
let views = 0;

/* A text control's value as JSON: "3" -> 3, "3,2" -> [3, 2]; anything else (a name, "0:1,same") as typed. */
function parse(text) {
  const t = text.trim();
  if (/^-?\d+$/.test(t)) return Number(t);
  if (/^-?\d+(\s*,\s*-?\d+)+$/.test(t)) return t.split(",").map(function (s) { return Number(s.trim()); });
  return t;
}

function render({ model, el }) {
  views += 1;
  const cid = "symconv-widget-" + views + "-" + Math.random().toString(36).slice(2, 10);
  const prefix = cid + "-";

  function showError() {
    const root = el.querySelector('[id="' + cid + '"]');
    if (!root) return;
    let alert = root.querySelector('[id="' + prefix + 'widget-error"]');
    const message = model.get("error");
    if (!message) { if (alert) alert.remove(); return; }
    if (!alert) {
      alert = document.createElement("p");
      alert.id = prefix + "widget-error";
      alert.setAttribute("role", "alert");
      alert.className = "widget-error";
      alert.style.color = "#9b1c1c";
      alert.style.fontWeight = "600";
      const form = root.querySelector('[id="' + prefix + 'controls"]');
      form.parentNode.insertBefore(alert, form.nextSibling);
    }
    alert.textContent = message;
  }

  function draw() {
    el.innerHTML = model.get("html").split(VIEW_TOKEN).join(cid);
    const root = el.querySelector('[id="' + cid + '"]');
    if (!root) return;
    symconvExplore(symconvDocument(root, prefix));
    const form = root.querySelector('[id="' + prefix + 'controls"]');
    form.querySelectorAll("input, select").forEach(function (c) { c.disabled = false; });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    form.addEventListener("change", function (ev) {
      const c = ev.target, trait = TRAITS[c.name];
      if (!trait) return;
      let value;
      if (c.type === "checkbox") value = c.name === "no-bias" ? !c.checked : c.checked;
      else if (c.tagName === "SELECT") value = c.value;
      else value = parse(c.value);
      model.set(trait, value);
      model.save_changes();
    });
    showError();
  }

  model.on("change:html", draw);
  model.on("change:error", showError);
  draw();
  return function () {
    model.off("change:html", draw);
    model.off("change:error", showError);
  };
}

export default { render };
