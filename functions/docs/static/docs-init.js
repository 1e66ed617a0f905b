// Starts Swagger UI on the page GET /v1/docs serves (functions/docs/app.py). Ours, not vendored.
// A file rather than an inline script, so the page's Content-Security-Policy can forbid inline
// scripts. Everything it loads comes from this API: the docs work without internet access.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  var specUrl = root.getAttribute("data-spec-url");
  // Path prefix in front of /v1 ("" locally and on a custom domain's root, "/<stage>" on the
  // execute-api host), computed by the server from the request.
  var apiBase = root.getAttribute("data-api-base") || "";

  function fail(message) {
    root.textContent = "Could not load the API description (" + specUrl + "): " + message;
  }

  fetch(specUrl, { headers: { Accept: "application/json" }, credentials: "omit" })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(function (spec) {
      // The document names its server "/" (whatever host serves it); behind an API Gateway
      // stage the API lives under /<stage>, so "Try it out" must send requests there.
      spec.servers = [{ url: window.location.origin + apiBase, description: "This deployment" }];
      window.ui = SwaggerUIBundle({
        spec: spec,
        dom_id: "#swagger-ui",
        deepLinking: true,
        // The default validator badge calls validator.swagger.io: no calls leave this API.
        validatorUrl: null,
        presets: [SwaggerUIBundle.presets.apis],
        layout: "BaseLayout",
        docExpansion: "list",
        defaultModelsExpandDepth: 0,
      });
    })
    .catch(function (error) {
      fail(error.message);
    });
})();
