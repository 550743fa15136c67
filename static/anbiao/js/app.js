// anbiao's own behaviour. Loaded as a file (CSP: no inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  // Keep the export link in step with the filters the user has applied through htmx.
  document.body.addEventListener("htmx:pushedIntoHistory", () => {
    const link = document.getElementById("export-link");
    if (link) {
      const params = new URLSearchParams(window.location.search);
      params.delete("page");
      link.href = `${link.pathname}?${params}`;
    }
  });
  // Ask before a form marked data-confirm is submitted.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});
