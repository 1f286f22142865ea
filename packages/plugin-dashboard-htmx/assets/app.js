// Charge-IT dashboard: page behaviour without inline scripts (the CSP forbids them).
(function () {
  'use strict';
  var body = document.body;

  // Live connection state (htmx SSE extension events): indicator in the top bar, banner when lost.
  function setLive(state) {
    var dot = document.getElementById('live-indicator');
    var banner = document.getElementById('connection-banner');
    if (dot) {
      dot.setAttribute('data-state', state);
      var label = dot.querySelector('.live-label');
      if (label) label.textContent = state === 'open' ? label.getAttribute('data-on') : label.getAttribute('data-off');
    }
    if (banner) banner.hidden = state !== 'lost';
  }
  body.addEventListener('htmx:sseOpen', function () { setLive('open'); });
  var checking = false;
  body.addEventListener('htmx:sseError', function () {
    setLive('lost');
    // A stream that fails because the session ended (logout elsewhere, idle timeout, user removed)
    // would retry for ever: ask the server, and go to the login page when signed out.
    if (checking) return;
    checking = true;
    fetch(body.getAttribute('data-prefix') + '/session', { credentials: 'same-origin', redirect: 'manual', cache: 'no-store' })
      .then(function (r) {
        if (r.type === 'opaqueredirect' || r.status === 401) location.assign(body.getAttribute('data-prefix') + '/login?next=' + encodeURIComponent(location.pathname + location.search));
      })
      .catch(function () { /* server unreachable: keep the banner, the stream retries */ })
      .then(function () { setTimeout(function () { checking = false; }, 5000); });
  });
  body.addEventListener('htmx:sseClose', function () { setLive('lost'); });

  // Server-sent toasts: `HX-Trigger: {"toast":"Saved"}`.
  var toastTimer;
  function toast(text) {
    var el = document.getElementById('toast');
    if (!el) return;
    el.textContent = text;
    el.classList.add('show');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.classList.remove('show'); }, 3500);
  }
  body.addEventListener('toast', function (e) { toast(e.detail && e.detail.value ? e.detail.value : String(e.detail || '')); });

  // A network failure of an htmx request: say so instead of doing nothing.
  body.addEventListener('htmx:sendError', function () { toast(body.getAttribute('data-locale') === 'id' ? 'Server tidak terjangkau' : 'Server not reachable'); });

  document.addEventListener('change', function (e) {
    var t = e.target;
    // CSV import: a chosen file is read into the textarea next to it.
    if (t && t.matches && t.matches('input[type=file][data-into]')) {
      var target = document.getElementById(t.getAttribute('data-into'));
      var file = t.files && t.files[0];
      if (target && file) {
        var reader = new FileReader();
        reader.onload = function () { target.value = String(reader.result || ''); };
        reader.readAsText(file);
      }
    }
    // Filters that apply as soon as they change.
    if (t && t.form && t.matches && t.matches('[data-autosubmit]')) t.form.requestSubmit();
  });

  // Buttons that copy text (the one-time keys).
  document.addEventListener('click', function (e) {
    var btn = e.target && e.target.closest ? e.target.closest('[data-copy]') : null;
    if (!btn) return;
    var src = document.getElementById(btn.getAttribute('data-copy'));
    if (!src) return;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(src.textContent.trim()).then(function () { toast(btn.getAttribute('data-done') || 'Copied'); });
    } else {
      // Plain http on a LAN has no clipboard API: select the text so Ctrl+C / long-press copies it.
      var range = document.createRange();
      range.selectNodeContents(src);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    }
  });
})();
