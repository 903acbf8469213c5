// Starts the vendored Swagger UI on the API reference page. A file, not an inline script,
// because the Content-Security-Policy allows scripts from our own origin only.
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("api-reference");
  if (!root || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    domNode: root,
    deepLinking: true,
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
});
