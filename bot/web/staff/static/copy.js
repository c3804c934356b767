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
      result.textContent = ok ? "Copied. Paste it into the case system." : "Could not copy: select the text and copy it by hand.";
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
