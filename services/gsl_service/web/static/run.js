// The run form of a process page: post the (edited) example, then go to the job page.
(function () {
  var form = document.getElementById("run-form");
  if (!form) return;
  var area = document.getElementById("request-body");
  var status = document.getElementById("run-status");
  var errorBox = document.getElementById("run-error");
  var original = area.value;
  function showError(text) { errorBox.textContent = text; errorBox.hidden = false; status.textContent = status.dataset.failed; }
  document.getElementById("copy-button").addEventListener("click", function (ev) {
    area.select();
    var done = function () { ev.target.textContent = ev.target.dataset.done; };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(area.value).then(done, done);
    else { document.execCommand("copy"); done(); }
  });
  document.getElementById("reset-button").addEventListener("click", function () { area.value = original; errorBox.hidden = true; });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    errorBox.hidden = true;
    try { JSON.parse(area.value); } catch (e) { showError("JSON: " + e.message); return; }
    status.textContent = status.dataset.running;
    document.getElementById("run-button").disabled = true;
    fetch(form.dataset.execute, { method: "POST", body: area.value,
      headers: { "Content-Type": "application/json", "Prefer": "respond-async", "Accept": "application/json" } })
      .then(function (resp) {
        return resp.text().then(function (text) {
          var doc = null; try { doc = JSON.parse(text); } catch (e) { /* not JSON */ }
          if (resp.status === 201 && doc && doc.jobID) {
            var lang = form.dataset.lang ? "&lang=" + form.dataset.lang : "";
            window.location.href = form.dataset.jobs + encodeURIComponent(doc.jobID) + "?f=html" + lang;
            return;
          }
          document.getElementById("run-button").disabled = false;
          showError(doc && doc.detail ? resp.status + " " + (doc.title || "") + "\n" + doc.detail : resp.status + "\n" + text);
        });
      })
      .catch(function (e) { document.getElementById("run-button").disabled = false; showError(String(e)); });
  });
})();
