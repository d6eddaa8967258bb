// The report form, progressively enhanced: without this file every field is shown and the
// duplicate hints appear on the draft's page once it is saved.
// - Parts marked data-shown-when="name=value" show only while that radio is chosen; hidden,
//   their controls are disabled so that nothing in them is sent.
// - Records like the report being typed are fetched (POST with the form's CSRF token, half a
//   second after the last keystroke) once it has a title and a first Device.
(() => {
  "use strict";
  const form = document.querySelector("form[data-report-form]");
  if (!form) return;

  for (const part of form.querySelectorAll("[data-shown-when]")) {
    const [name, value] = part.dataset.shownWhen.split("=");
    const radios = [...form.querySelectorAll("input[type=radio]")].filter((r) => r.name === name);
    const update = () => {
      const shown = radios.some((r) => r.checked && r.value === value);
      part.hidden = !shown;
      for (const control of part.querySelectorAll("input, select, textarea")) {
        control.disabled = !shown;
      }
    };
    for (const radio of radios) radio.addEventListener("change", update);
    update();
  }

  const panel = document.getElementById("duplicate-hints");
  if (!panel || !panel.dataset.url) return;
  const given = (name) => Boolean(form.elements[name] && form.elements[name].value.trim());
  const ready = () =>
    given("title") &&
    (given("devices-0-device_model_id") || given("devices-0-manufacturer_name"));
  let timer = null;
  let pending = null;

  const look = async () => {
    if (!ready()) return;
    if (pending) pending.abort();
    pending = new AbortController();
    try {
      const response = await fetch(panel.dataset.url, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        signal: pending.signal,
      });
      // A signed-out session is sent to the sign-in page: that is no panel.
      if (!response.ok || response.redirected) return;
      panel.innerHTML = await response.text();
      panel.dataset.state = "shown";
    } catch (error) {
      if (error.name !== "AbortError") panel.dataset.state = "failed"; // a help, not a step
    }
  };
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(look, 500);
  };
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  look(); // a form opened already filled: a draft, or one sent back with errors
})();
