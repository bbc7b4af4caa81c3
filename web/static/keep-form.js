/* Switching the language reloads the page: what was typed in a form marked data-keep is carried over.
 *
 * When the language form is sent, the typed values (never passwords, hidden fields or the CSRF token)
 * go to sessionStorage with the page's path, and the form's `next` asks for as many repeatable rows
 * as the page showed (`<field>-rows=N`). The next page load takes the entry out at once, whatever
 * page it is, and puts the values back only on the same path within a minute: client data never
 * lingers in the tab. Where the values cannot be kept (no sessionStorage), the user is asked first;
 * where some could not be put back, the page says so. Without JavaScript the switch works as before.
 */
(function () {
  "use strict";
  var KEY = "polku-typed-values";
  var MAX_AGE_MS = 60 * 1000;

  function keptForms() {
    return Array.prototype.slice.call(document.querySelectorAll("main form[data-keep]"));
  }

  function kept(el) {
    return el.name && !el.disabled && el.type !== "password" && el.type !== "hidden" && el.type !== "file" &&
      el.type !== "submit" && el.type !== "button" && el.type !== "reset" && el.name !== "csrf_token";
  }

  function changed(el) {
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    if (el.tagName === "SELECT") {
      return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return el.value !== el.defaultValue;
  }

  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, kept);
  }

  function snapshot(forms) {
    var values = [];
    forms.forEach(function (form, f) {
      fieldsOf(form).forEach(function (el) {
        var item = {form: f, name: el.name};
        if (el.type === "checkbox" || el.type === "radio") { item.value = el.value; item.checked = el.checked; }
        else item.value = el.value;
        values.push(item);
      });
    });
    return values;
  }

  function rowCounts(forms) {
    var counts = [];
    forms.forEach(function (form) {
      Array.prototype.forEach.call(form.querySelectorAll('input[type="hidden"][name$="-rows"]'), function (el) {
        counts.push([el.name, el.value]);
      });
    });
    return counts;
  }

  function nextWithRows(counts) {
    var params = new URLSearchParams(window.location.search);
    counts.forEach(function (pair) { params.set(pair[0], pair[1]); });
    var query = params.toString();
    return window.location.pathname + (query ? "?" + query : "");
  }

  function onLanguageSubmit(event) {
    var forms = keptForms();
    if (!forms.some(function (form) { return fieldsOf(form).some(changed); })) return;
    var switcher = event.target;
    try {
      window.sessionStorage.setItem(KEY, JSON.stringify({
        path: window.location.pathname, at: Date.now(), values: snapshot(forms)}));
    } catch (e) {
      if (!window.confirm(switcher.getAttribute("data-lose-warning"))) event.preventDefault();
      return;
    }
    var next = switcher.querySelector('input[name="next"]');
    if (next) next.value = nextWithRows(rowCounts(forms));
  }

  function restore(entry) {
    var forms = keptForms(), missed = 0, seen = {};
    entry.values.forEach(function (item) {
      var form = forms[item.form];
      var candidates = form ? fieldsOf(form).filter(function (el) { return el.name === item.name; }) : [];
      if (item.checked !== undefined) {
        var box = candidates.filter(function (el) { return el.value === item.value; })[0];
        if (box) box.checked = item.checked; else if (item.checked) missed += 1;
        return;
      }
      var key = item.form + " " + item.name, n = seen[key] || 0;  // the n-th field of that name
      seen[key] = n + 1;
      var el = candidates.filter(function (c) { return c.type !== "checkbox" && c.type !== "radio"; })[n];
      if (!el) { if (item.value) missed += 1; return; }
      if (el.tagName === "SELECT" && item.value &&
          !Array.prototype.some.call(el.options, function (o) { return o.value === item.value; })) {
        missed += 1;
        return;
      }
      el.value = item.value;
    });
    var main = document.querySelector("main");
    if (missed && main) {
      var note = document.createElement("div");
      note.className = "notice notice-warning";
      note.id = "typed-values-lost";
      note.setAttribute("role", "alert");
      note.textContent = document.querySelector("form.language").getAttribute("data-lost-notice");
      main.insertBefore(note, main.firstChild);
    }
  }

  function takeEntry() {
    var raw = null;
    try {
      raw = window.sessionStorage.getItem(KEY);
      window.sessionStorage.removeItem(KEY);
    } catch (e) {
      return null;
    }
    if (!raw) return null;
    try {
      var entry = JSON.parse(raw);
      var fresh = Date.now() - entry.at >= 0 && Date.now() - entry.at < MAX_AGE_MS;
      return entry.path === window.location.pathname && fresh && Array.isArray(entry.values) ? entry : null;
    } catch (e) {
      return null;
    }
  }

  var entry = takeEntry();
  if (entry) restore(entry);
  var switcher = document.querySelector("form.language");
  if (switcher) switcher.addEventListener("submit", onLanguageSubmit);
})();
