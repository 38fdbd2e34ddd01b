// Swagger UI on the service's own OpenAPI document (the bundle is served from /static/vendor).
(function () {
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: el.dataset.spec, dom_id: "#swagger-ui", deepLinking: true,
    validatorUrl: null, tryItOutEnabled: false });
})();
