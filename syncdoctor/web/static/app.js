// syncdoctor's page script: small helps on top of pages that work without it.
// - marks the page as scripted (CSS then hides the no-JavaScript "Check" button);
// - "Copy as Markdown" for the ticket report;
// - paste from a spreadsheet into a records table: tab-separated cells fill the rows below;
// - a one-time notice's ?moved=1 or ?ruled=... is taken out of the address, so a reload does
//   not repeat it.
// No inline script anywhere (the Content-Security-Policy forbids it); no eval.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  if (window.history.replaceState && /[?&](moved|ruled)=/.test(window.location.search)) {
    var address = new URL(window.location.href);
    address.searchParams.delete("moved");
    address.searchParams.delete("ruled");
    window.history.replaceState(null, "", address.pathname + address.search + address.hash);
  }

  function copyReport(button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentElement.querySelector(".copied");
    if (!source) { return; }
    var text = source.textContent;
    function done(message) { if (status) { status.textContent = message; } }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done("Copied."); },
        function () { done("Copying was refused: select the text and copy it."); });
    } else {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      done(document.execCommand("copy") ? "Copied." : "Select the text and copy it.");
    }
  }

  function renumber(row, index) {
    row.querySelector("th").textContent = String(index + 1);
    row.querySelectorAll("input, select").forEach(function (cell) {
      cell.name = cell.name.replace(/^rec-\d+-/, "rec-" + index + "-");
      cell.setAttribute("aria-label", cell.getAttribute("aria-label").replace(/row \d+$/, "row " + (index + 1)));
      cell.value = "";
    });
  }

  function setCell(cell, text) {
    if (cell.tagName === "SELECT") {
      var wanted = text.trim().toLowerCase();
      for (var i = 0; i < cell.options.length; i++) {
        if (cell.options[i].value.toLowerCase() === wanted) { cell.selectedIndex = i; return; }
      }
      return;
    }
    cell.value = text.trim();
  }

  function pasteRows(event) {
    var cell = event.target;
    var table = cell.closest("table.records-table");
    if (!table || !event.clipboardData) { return; }
    var text = event.clipboardData.getData("text/plain");
    if (text.indexOf("\t") < 0 && text.indexOf("\n") < 0) { return; }
    event.preventDefault();
    var lines = text.replace(/\r/g, "").replace(/\n+$/, "").split("\n");
    var body = table.tBodies[0];
    var startRow = Array.prototype.indexOf.call(body.rows, cell.closest("tr"));
    var startColumn = Array.prototype.indexOf.call(cell.closest("tr").cells, cell.closest("td")) - 1;
    lines.forEach(function (line, offset) {
      var rowIndex = startRow + offset;
      while (body.rows.length <= rowIndex) {
        var copy = body.rows[body.rows.length - 1].cloneNode(true);
        renumber(copy, body.rows.length);
        body.appendChild(copy);
      }
      var cells = body.rows[rowIndex].querySelectorAll("input, select");
      line.split("\t").forEach(function (value, column) {
        var target = cells[startColumn + column];
        if (target) { setCell(target, value); }
      });
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action='copy']");
    if (button) { copyReport(button); }
  });
  document.addEventListener("paste", pasteRows);
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-action='copy'][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  });
}());
