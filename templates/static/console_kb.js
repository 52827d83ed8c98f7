/* Progressive enhancement for the knowledge base, template and report
   pages of the console; every one of them works without it.
   - "insert answer" / "insert link" on a ticket put the article's text at
     the cursor in the reply, without a page load, and remember the article
     so the reply counts as a use of it;
   - the article editor and the template editor preview as the user types
     (the server renders the preview; its HTML is already cleaned). */
(function () {
  "use strict";

  function insertAtCursor(body, text) {
    var start = body.selectionStart, end = body.selectionEnd, value = body.value;
    var before = value.slice(0, start), after = value.slice(end);
    var glue = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
    body.value = before + glue + text + after;
    var caret = (before + glue + text).length;
    body.focus();
    body.setSelectionRange(caret, caret);
    body.dispatchEvent(new Event("input"));
  }

  function rememberArticle(form, id) {
    var existing = form.querySelectorAll("input[name='reply-kb_article']");
    for (var i = 0; i < existing.length; i++) {
      if (existing[i].value === id) { return; }
    }
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "reply-kb_article";
    input.value = id;
    form.appendChild(input);
  }

  function setUpKbInsert(button) {
    button.addEventListener("click", function (event) {
      var form = document.getElementById(button.getAttribute("form"));
      var body = document.getElementById("reply-body");
      var text = button.getAttribute("data-kb-text");
      if (!form || !body || !text) { return; }  /* let the server do it */
      event.preventDefault();
      insertAtCursor(body, text);
      rememberArticle(form, button.getAttribute("data-kb-article"));
    });
  }

  function csrfOf(form) {
    var token = form.querySelector("input[name='csrf_token']");
    return token ? token.value : "";
  }

  function livePreview(textarea, url, target, fields) {
    var timer = null, latest = 0;
    function refresh() {
      var data = fields();
      var asked = ++latest;
      fetch(url, {method: "POST", body: data, credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html !== null && asked === latest) { target.innerHTML = html; }
        })
        .catch(function () { /* the Preview button still works */ });
    }
    textarea.addEventListener("input", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(refresh, 400);
    });
  }

  function setUpArticleEditor(form) {
    var url = form.getAttribute("data-kb-preview-url");
    Array.prototype.forEach.call(form.querySelectorAll("textarea[data-kb-preview]"), function (textarea) {
      var target = document.getElementById(textarea.getAttribute("data-kb-preview"));
      if (!target) { return; }
      livePreview(textarea, url, target, function () {
        var data = new FormData();
        data.append("csrf_token", csrfOf(form));
        data.append("body", textarea.value);
        return data;
      });
    });
  }

  function setUpTemplateEditor(form) {
    var textarea = form.querySelector("textarea[data-tpl-preview]");
    if (!textarea) { return; }
    var target = document.getElementById(textarea.getAttribute("data-tpl-preview"));
    if (!target) { return; }
    livePreview(textarea, form.getAttribute("data-tpl-preview-url"), target, function () {
      return new FormData(form);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("button[data-kb-text]"), setUpKbInsert);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-kb-preview-url]"), setUpArticleEditor);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-tpl-preview-url]"), setUpTemplateEditor);
  });
})();
