/* Progressive enhancement for the console; every page works without it.
   - reply templates are inserted at the cursor without a page load;
   - an SMS answer shows how many SMS parts it will take as it is typed;
   - after a refused action the page scrolls to the reason. */
(function () {
  "use strict";

  var GSM7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM7_EXT = "\f^{}\\[~]|€";

  function smsParts(text) {
    var gsm = true, units = 0, i, ch;
    for (i = 0; i < text.length; i++) {
      ch = text.charAt(i);
      if (GSM7.indexOf(ch) >= 0) { units += 1; }
      else if (GSM7_EXT.indexOf(ch) >= 0) { units += 2; }
      else { gsm = false; break; }
    }
    if (!gsm) { units = text.length; }
    var single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
    if (units === 0) { return 0; }
    return units <= single ? 1 : Math.ceil(units / multi);
  }

  function chosenChannel(form) {
    var checked = form.querySelector("input[name='reply-channel']:checked");
    if (checked) { return checked.value; }
    var hidden = form.querySelector("input[type=hidden][name='reply-channel']");
    return hidden ? hidden.value : "";
  }

  function setUpSmsCounter(textarea) {
    var out = document.getElementById(textarea.getAttribute("data-sms-counter"));
    var max = parseInt(textarea.getAttribute("data-sms-max") || "3", 10);
    var form = textarea.form;
    if (!out || !form) { return; }
    function update() {
      if (chosenChannel(form) !== "sms") { out.textContent = ""; return; }
      var parts = smsParts(textarea.value.trim() + "\n");
      var text = (document.documentElement.lang === "fi" ? "Tekstiviestin osia: " :
        document.documentElement.lang === "sv" ? "SMS-delar: " : "SMS parts: ") + parts;
      out.textContent = text;
      out.classList.toggle("overdue", parts > max);
    }
    textarea.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  }

  function setUpSnippets(button) {
    var form = button.form;
    var select = document.getElementById("reply-snippet");
    var body = document.getElementById("reply-body");
    if (!form || !select || !body) { return; }
    button.addEventListener("click", function (event) {
      var option = select.options[select.selectedIndex];
      var text = option ? option.getAttribute("data-text") : null;
      if (!text) { return; }  /* nothing chosen: let the server say so */
      event.preventDefault();
      var start = body.selectionStart, end = body.selectionEnd, value = body.value;
      var before = value.slice(0, start), after = value.slice(end);
      var glue = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
      body.value = before + glue + text + after;
      var caret = (before + glue + text).length;
      body.focus();
      body.setSelectionRange(caret, caret);
      body.dispatchEvent(new Event("input"));
      select.selectedIndex = 0;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-sms-counter]"), setUpSmsCounter);
    var insert = document.getElementById("reply-insert");
    if (insert) { setUpSnippets(insert); }
    var problem = document.querySelector(".error-summary, #reply-sms-warning");
    if (problem && problem.scrollIntoView) { problem.scrollIntoView({block: "center"}); }
  });
})();
