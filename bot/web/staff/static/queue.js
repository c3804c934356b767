// The queue page: "tick all", and a notice when new referrals arrive (checked every minute).
// The check does not keep a session alive: only using the pages does.
(function () {
  "use strict";
  var all = document.getElementById("tick-all");
  if (all) {
    all.hidden = false;
    all.addEventListener("change", function () {
      var boxes = document.querySelectorAll("#export-form input[name=reference]");
      for (var i = 0; i < boxes.length; i++) boxes[i].checked = all.checked;
    });
  }
  var notice = document.getElementById("new-referrals");
  if (!notice || !window.fetch) return;
  var newest = Number(notice.getAttribute("data-newest"));
  var api = notice.getAttribute("data-api");
  var timer = window.setInterval(function () {
    fetch(api, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) { window.clearInterval(timer); return null; }
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && data.newest_id > newest) notice.hidden = false;
      })
      .catch(function () { /* offline for a moment: try again next minute */ });
  }, 60000);
})();
