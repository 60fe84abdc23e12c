/* gridmap: the search of the published site's index. ES5 for old phone browsers.
   Keeps the listed grids whose names, codes, village or staff names (or their pinyin
   initials) hold what is typed, or what ?q= in the address says. A large site lists only
   its upper levels; its search reads every grid's names from data/names/K.js, chunk by
   chunk as the search needs them, and shows the first hundred found. */
(function () {
  var q = document.getElementById('q');
  var none = document.getElementById('none');
  var list = document.getElementById('grids');
  var found = document.getElementById('found');
  if (!q || !none || !list || !document.querySelectorAll) return;
  q.style.display = '';
  var items = list.getElementsByTagName('li');
  var chunks = +(q.getAttribute('data-chunks') || 0), names = [], MOST = 100, pending = null;

  function norm() { return q.value.replace(/^\s+|\s+$/g, '').toLowerCase(); }
  function filterList(v) {
    var shown = 0;
    for (var i = 0; i < items.length; i++) {
      var k = items[i].getAttribute('data-k') || '';
      var on = !v || k.indexOf(v) >= 0;
      items[i].style.display = on ? '' : 'none';
      if (on) shown++;
    }
    return shown;
  }
  window.GRIDMAP_NAMES = function (k, rows) {
    names[k] = rows;
    if (pending) pending();
  };
  function add(row) {
    var li = document.createElement('li'), a = document.createElement('a'), s = document.createElement('span');
    a.href = 'g/' + row[2] + '/index.html';
    a.appendChild(document.createTextNode(row[1]));
    s.className = 'sub';
    s.appendChild(document.createTextNode(' ' + row[3]));
    li.appendChild(a);
    li.appendChild(s);
    found.appendChild(li);
  }
  // Every grid's names, chunk by chunk; a newer search stops an older one.
  function searchAll(v) {
    while (found.firstChild) found.removeChild(found.firstChild);
    list.style.display = v ? 'none' : '';
    found.style.display = v ? '' : 'none';
    none.style.display = 'none';
    if (!v) { pending = null; return; }
    var hits = 0, k = 0;
    function step() {
      if (norm() !== v) return;
      while (k < chunks && names[k] && hits < MOST) {
        var rows = names[k];
        for (var r = 0; r < rows.length && hits < MOST; r++) {
          if (rows[r][0].indexOf(v) >= 0) { add(rows[r]); hits++; }
        }
        k++;
      }
      if (k < chunks && hits < MOST) {
        pending = step;
        if (names[k] === undefined) {
          names[k] = null;
          var sc = document.createElement('script');
          sc.src = 'data/names/' + k + '.js';
          sc.onerror = function () { window.GRIDMAP_NAMES(k, []); };
          document.body.appendChild(sc);
        }
        return;
      }
      pending = null;
      none.firstChild.nodeValue = hits >= MOST ? '只显示找到的前 ' + MOST + ' 个网格，请输入更多的字。' : '没有找到。';
      none.style.display = hits && hits < MOST ? 'none' : 'block';
      found.setAttribute('data-done', '1');
    }
    found.removeAttribute('data-done');
    step();
  }
  function run() {
    var v = norm();
    if (chunks && found) {
      searchAll(v);
      return;
    }
    none.style.display = filterList(v) ? 'none' : 'block';
  }
  q.oninput = run;
  q.onkeyup = run;
  var m = /[?&]q=([^&]*)/.exec(location.search);
  if (m) {
    try { q.value = decodeURIComponent(m[1].replace(/\+/g, ' ')); } catch (e) { }
    run();
  }
})();
