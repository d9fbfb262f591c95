// parzen dashboard: the page's script (embedded at build time, inline,
// no framework, nothing fetched from elsewhere). The server draws the
// figures (lib/report, as SVG) and the tables; this script fetches them
// again when the study changes (one Server-Sent Events stream a tab), and
// does the controls: figure options, the trials table's filter, sort and
// pages, the actions, tooltips. Without it the pages still show a
// snapshot.
(function () {
  'use strict';
  var body = document.body;
  var page = body.getAttribute('data-page');
  var study = body.getAttribute('data-study');
  var meta = document.querySelector('meta[name=parzen-token]');
  var token = meta ? meta.getAttribute('content') : '';
  var live = document.getElementById('live');

  function q(s, el) { return (el || document).querySelector(s); }
  function qa(s, el) {
    return Array.prototype.slice.call((el || document).querySelectorAll(s));
  }
  function enc(s) { return encodeURIComponent(s); }
  function get(url) {
    return fetch(url, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        return r.text().then(function (t) {
          if (!r.ok) throw new Error(t || r.statusText);
          return t;
        });
      });
  }
  function setLive(ok, text) {
    if (!live) return;
    live.className = 'live ' + (ok ? 'ok' : 'bad');
    live.textContent = text;
  }

  // One refresh at a time; a change during one asks for one more after
  // it, so a busy study costs at most one refresh in flight per tab.
  var updates = 0;
  function Refresher(run, gap) {
    this.run = run; this.gap = gap; this.busy = false; this.again = false;
  }
  Refresher.prototype.kick = function () {
    var self = this;
    if (self.busy) { self.again = true; return; }
    self.busy = true;
    Promise.resolve().then(self.run).catch(function (e) {
      console.warn(e);
    }).then(function () {
      body.setAttribute('data-updates', String(++updates));
      setTimeout(function () {
        self.busy = false;
        if (self.again) { self.again = false; self.kick(); }
      }, self.gap);
    });
  };

  // An element with data-fragment="URL" holds what URL returns.
  function fragment(el) {
    if (!el) return Promise.resolve();
    return get(el.getAttribute('data-fragment')).then(function (t) {
      el.innerHTML = t;
    });
  }

  // --- figures: fetched when on screen (or near it), again after a change
  var figs = qa('.fig[data-kind]');
  var onScreen = new Set();
  function figUrl(el) {
    var u = '/figure?s=' + enc(study) + '&kind=' + el.getAttribute('data-kind');
    ['log', 'x', 'y', 'trial'].forEach(function (k) {
      var v = el.getAttribute('data-' + k);
      if (v !== null && v !== '') u += '&' + k + '=' + enc(v);
    });
    return u;
  }
  function loadFig(el) {
    el.setAttribute('data-stale', '0');
    return get(figUrl(el)).then(function (t) {
      el.innerHTML = t;
      el.setAttribute('data-loaded', String(Date.now()));
    }).catch(function (e) { el.textContent = e.message; });
  }
  var io = 'IntersectionObserver' in window ? new IntersectionObserver(function (es) {
    es.forEach(function (e) {
      if (e.isIntersecting) {
        onScreen.add(e.target);
        if (e.target.getAttribute('data-stale') !== '0') loadFig(e.target);
      } else {
        onScreen.delete(e.target);
      }
    });
  }, { rootMargin: '400px 0px' }) : null;
  figs.forEach(function (el) {
    el.setAttribute('data-stale', '1');
    if (io) io.observe(el); else loadFig(el);
  });
  function refreshFigs() {
    figs.forEach(function (el) { el.setAttribute('data-stale', '1'); });
    return Promise.all(figs.filter(function (el) {
      return !io || onScreen.has(el);
    }).map(loadFig));
  }
  // Linear/log switches and the contour's labels.
  qa('.scale button').forEach(function (b) {
    b.addEventListener('click', function () {
      var el = q('#fig-' + b.getAttribute('data-for'));
      qa('button', b.parentNode).forEach(function (o) { o.classList.remove('on'); });
      b.classList.add('on');
      el.setAttribute('data-log', b.getAttribute('data-log'));
      loadFig(el);
    });
  });
  qa('select.axis').forEach(function (s) {
    s.addEventListener('change', function () {
      var el = q('#fig-' + s.getAttribute('data-for'));
      el.setAttribute('data-' + s.getAttribute('data-axis'), s.value);
      loadFig(el);
    });
  });

  // --- the summary: the learning curves' section shows when there are
  // curves; the pause button follows the study's state
  function applySummary() {
    var s = q('#summary .summary');
    if (!s) return;
    var none = s.getAttribute('data-curves') === '0';
    var learn = q('section#learning'), link = q('#nav-learning');
    if (learn) learn.hidden = none;
    if (link) link.hidden = none;
    var b = q('#pause');
    if (b) {
      var paused = s.getAttribute('data-state') === 'paused';
      b.textContent = paused ? 'Resume' : 'Pause';
      b.setAttribute('data-do', paused ? 'resume' : 'pause');
    }
  }

  // --- the trials table
  var table = q('#table');
  var tq = { offset: 0, limit: 100, sort: 'number', dir: 'desc', q: '', states: '' };
  function tableUrl() {
    return '/trials?s=' + enc(study) + '&offset=' + tq.offset + '&limit=' +
      tq.limit + '&sort=' + enc(tq.sort) + '&dir=' + tq.dir + '&q=' +
      enc(tq.q) + '&states=' + enc(tq.states);
  }
  function loadTable() {
    if (!table) return Promise.resolve();
    var msg = q('#tmsg');
    return get(tableUrl()).then(function (t) {
      table.innerHTML = t;
      var tb = q('table', table);
      var m = +tb.getAttribute('data-matched');
      var n = +tb.getAttribute('data-total');
      var rows = +tb.getAttribute('data-rows');
      q('#tcount').textContent = (rows ? (tq.offset + 1) + '\u2013' + (tq.offset + rows) : '0') +
        ' of ' + m + (m !== n ? ' matching (' + n + ' trials)' : ' trials');
      qa('th', tb).forEach(function (th) {
        if (th.getAttribute('data-key') === tq.sort) th.setAttribute('data-dir', tq.dir);
      });
      q('#tprev').disabled = tq.offset === 0;
      q('#tnext').disabled = tq.offset + rows >= m;
      msg.textContent = '';
    }).catch(function (e) { msg.textContent = e.message; });
  }
  if (table) {
    table.addEventListener('click', function (e) {
      var th = e.target.closest('th[data-key]');
      if (!th) return;
      var k = th.getAttribute('data-key');
      tq.dir = tq.sort === k && tq.dir === 'asc' ? 'desc' : 'asc';
      tq.sort = k;
      tq.offset = 0;
      loadTable();
    });
    var timer = null;
    q('#filter').addEventListener('input', function (e) {
      clearTimeout(timer);
      timer = setTimeout(function () {
        tq.q = e.target.value; tq.offset = 0; loadTable();
      }, 250);
    });
    qa('#tstates input').forEach(function (c) {
      c.addEventListener('change', function () {
        tq.states = qa('#tstates input:checked').map(function (x) { return x.value; }).join(',');
        tq.offset = 0;
        loadTable();
      });
    });
    q('#tprev').addEventListener('click', function () {
      tq.offset = Math.max(0, tq.offset - tq.limit); loadTable();
    });
    q('#tnext').addEventListener('click', function () {
      tq.offset += tq.limit; loadTable();
    });
  }

  // --- actions: POST with the page's token; #amsg says how it went and
  // counts the answers in data-n
  var acts = 0;
  function act(what, payload) {
    var msg = q('#amsg');
    msg.textContent = '\u2026';
    msg.className = '';
    return fetch('/action?s=' + enc(study) + '&do=' + what, {
      method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: { 'Content-Type': 'application/json', 'X-Parzen-Token': token },
      body: JSON.stringify(payload || {})
    }).then(function (r) {
      // parzend's refusals come as JSON (their message starts with the
      // path of the bad value); the dashboard's own as a line of text.
      return r.text().then(function (t) {
        try { return JSON.parse(t); } catch (e) {
          return { ok: false, error: t.trim() || r.statusText };
        }
      });
    }).then(function (o) {
      msg.textContent = o.ok ? 'done: ' + what : o.error;
      if (!o.ok && o.path) msg.setAttribute('data-path', o.path);
      else msg.removeAttribute('data-path');
      msg.className = o.ok ? 'ok' : 'err';
      msg.setAttribute('data-n', String(++acts));
      refresh.kick();
    }).catch(function (e) {
      msg.textContent = e.message;
      msg.className = 'err';
      msg.setAttribute('data-n', String(++acts));
    });
  }
  var pauseBtn = q('#pause');
  if (pauseBtn) {
    pauseBtn.addEventListener('click', function () { act(pauseBtn.getAttribute('data-do')); });
    q('#budget').addEventListener('submit', function (e) {
      e.preventDefault();
      act('budget', { max_trials: +q('#budget input').value });
    });
    q('#enqueue').addEventListener('submit', function (e) {
      e.preventDefault();
      // The point in the value form (a choice as the pages name its
      // option); parzend checks it.
      var values;
      try {
        values = JSON.parse(q('#enqueue textarea').value);
      } catch (err) {
        q('#amsg').textContent = 'not JSON: ' + err.message;
        q('#amsg').className = 'err';
        return;
      }
      act('enqueue', { values: values });
    });
  }

  // --- tooltips on anything with a trial number; a click opens the trial
  var tip = q('#tip');
  document.addEventListener('mouseover', function (e) {
    var t = e.target, n = t.getAttribute ? t.getAttribute('data-trial') : null;
    if (n === null || t.tagName === 'TR') { tip.style.display = 'none'; return; }
    var s = 'trial ' + n, a = t.getAttribute('data-loss');
    var st = t.getAttribute('data-state'), x = t.getAttribute('data-x');
    var p = t.closest('[data-label]');
    if (st) s += ' (' + st + ')';
    if (a !== null) s += '\nloss ' + a;
    if (x !== null && p) s += '\n' + p.getAttribute('data-label') + ' = ' + x;
    tip.textContent = s;
    tip.style.display = 'block';
  });
  document.addEventListener('mousemove', function (e) {
    tip.style.left = (e.pageX + 14) + 'px';
    tip.style.top = (e.pageY + 14) + 'px';
  });
  document.addEventListener('click', function (e) {
    var t = e.target.closest ? e.target.closest('svg [data-trial]') : null;
    if (t && study) location.href = '/trial?s=' + enc(study) + '&n=' + t.getAttribute('data-trial');
  });

  // --- what a change refreshes, page by page
  var refresh = new Refresher(function () {
    if (page === 'studies') return fragment(q('#studies'));
    if (page === 'trial') return fragment(q('#trialbody'));
    return fragment(q('#summary')).then(function () {
      applySummary();
      return Promise.all([refreshFigs(), loadTable()]);
    });
  }, 150);
  applySummary();
  loadTable();

  // --- the live stream
  if (!window.EventSource) {
    setLive(false, 'no live updates in this browser');
    return;
  }
  // The page is as of data-version (a study's version, or the list's
  // seq): the stream reports changes after it.
  var since = body.getAttribute('data-version') || '';
  var es = new EventSource('/events?v=' + enc(since) +
    (study ? '&s=' + enc(study) : ''));
  es.addEventListener('change', function () { refresh.kick(); });
  es.addEventListener('status', function (e) {
    var s = JSON.parse(e.data);
    setLive(s.ok, s.ok ? 'live' : s.message);
  });
  es.addEventListener('gone', function () { setLive(false, 'this study was deleted'); });
  es.onerror = function () { setLive(false, 'lost the dashboard; retrying'); };
})();
