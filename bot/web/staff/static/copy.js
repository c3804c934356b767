// "Copy summary" on a referral page. The summary is also in a read-only box, to select by hand.
(function () {
  "use strict";
  var button = document.getElementById("copy-summary");
  if (!button) return;
  var box = document.getElementById(button.getAttribute("data-copy"));
  var result = document.getElementById("copy-result");
  button.hidden = false;
  button.addEventListener("click", function () {
    function done(ok) {
      // The words are content/staff.yml's (referral_page: copied, not_copied), given on the button.
      result.textContent = button.getAttribute(ok ? "data-copied" : "data-not-copied");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(box.value).then(function () { done(true); }, function () { done(false); });
    } else {
      box.focus();
      box.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok);
    }
  });
})();
