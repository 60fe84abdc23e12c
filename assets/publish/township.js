/* gridmap: the township's map on the published site. ES5 for old phone browsers.
   Draws window.GRIDMAP_DATA (data/grids.js) with Leaflet and answers 我在哪个网格:
   the phone's location, or a tap on the map, found in the grids by point-in-polygon. */
(function () {
  var D = window.GRIDMAP_DATA, L = window.L;
  var box = document.getElementById('tmap');
  var btn = document.getElementById('where');
  var out = document.getElementById('here');
  if (!D || !L || !box || !btn || !out || !document.createElement) return;
  var S = 1e6, grids = D.grids, deepest = 0, i, j;

  function decode(a) {
    var x = a[0], y = a[1], xs = [x], ys = [y], ll = [[y / S, x / S]];
    for (var k = 2; k + 1 < a.length; k += 2) {
      x += a[k]; y += a[k + 1];
      xs.push(x); ys.push(y); ll.push([y / S, x / S]);
    }
    return { xs: xs, ys: ys, ll: ll };
  }
  var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (i = 0; i < grids.length; i++) {
    var g = grids[i];
    g.i = i;
    g.rings = [];
    for (j = 0; j < g.r.length; j++) g.rings.push(decode(g.r[j]));
    if (g.l > deepest) deepest = g.l;
    if (g.b) {
      x0 = Math.min(x0, g.b[0]); y0 = Math.min(y0, g.b[1]);
      x1 = Math.max(x1, g.b[2]); y1 = Math.max(y1, g.b[3]);
    }
  }
  if (x0 > x1) return;

  box.style.display = 'block';
  var map = L.map(box, { preferCanvas: true, zoomSnap: 0.25, attributionControl: !!D.tk });
  window.GRIDMAP_MAP = map;
  if (D.tk) {
    var t = function (layer) {
      return L.tileLayer('https://t{s}.tianditu.gov.cn/' + layer + '_w/wmts?SERVICE=WMTS' +
        '&REQUEST=GetTile&VERSION=1.0.0&LAYER=' + layer + '&STYLE=default&TILEMATRIXSET=w' +
        '&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=' + encodeURIComponent(D.tk),
        { subdomains: '01234567', maxZoom: 18, attribution: '天地图' });
    };
    var vec = L.layerGroup([t('vec'), t('cva')]).addTo(map);
    var img = L.layerGroup([t('img'), t('cia')]);
    L.control.layers({ '矢量': vec, '影像': img }, null, { collapsed: true }).addTo(map);
  }

  function ringsOf(g) {
    var r = [];
    for (var k = 0; k < g.rings.length; k++) r.push(g.rings[k].ll);
    return r;
  }
  // The finest grids filled, the villages and the town outlined over them.
  var order = grids.slice().sort(function (a, b) { return b.l - a.l || a.i - b.i; });
  for (i = 0; i < order.length; i++) {
    var o = order[i];
    if (!o.rings.length) continue;
    var top = o.l < deepest;
    L.polygon(ringsOf(o), top ?
      { color: o.l <= 1 ? '#c0392b' : '#7d3c98', weight: o.l <= 1 ? 3 : 2, fill: false, interactive: false } :
      { color: '#555', weight: 1, fillColor: '#f4c27a', fillOpacity: 0.3, interactive: false }
    ).addTo(map);
  }
  for (i = 0; i < D.rivers.length; i++) {
    var rl = [];
    for (j = 0; j < D.rivers[i].r.length; j++) rl.push(decode(D.rivers[i].r[j]).ll);
    L.polyline(rl, { color: '#3a86ff', weight: 2, interactive: false }).addTo(map);
  }
  // Names of the level under the town (villages), where they are few enough to read.
  var named = [];
  for (i = 0; i < grids.length; i++) if (grids[i].l === 2 && grids[i].c.length) named.push(grids[i]);
  if (named.length <= 300) {
    for (i = 0; i < named.length; i++) {
      var span = document.createElement('span');
      span.appendChild(document.createTextNode(named[i].n));
      L.marker([named[i].c[1] / S, named[i].c[0] / S], {
        icon: L.divIcon({ className: 'lbl', html: span, iconSize: null }),
        interactive: false, keyboard: false
      }).addTo(map);
    }
  }
  var whole = [[y0 / S, x0 / S], [y1 / S, x1 / S]], moved = false;
  map.fitBounds(whole);
  // The page may settle to its width after this ran (fonts, a phone's viewport): fit again
  // once it has loaded, unless the map was used by then.
  map.on('mousedown touchstart', function () { moved = true; });
  L.DomEvent.on(window, 'load', function () {
    map.invalidateSize();
    if (!moved) map.fitBounds(whole);
  });

  // Even-odd over every ring: holes and parts of a grid alike.
  function inside(g, x, y) {
    if (!g.b || x < g.b[0] || x > g.b[2] || y < g.b[1] || y > g.b[3]) return false;
    var c = false;
    for (var k = 0; k < g.rings.length; k++) {
      var xs = g.rings[k].xs, ys = g.rings[k].ys, n = xs.length;
      for (var a = 0, b = n - 1; a < n; b = a++) {
        if ((ys[a] > y) !== (ys[b] > y) &&
            x < (xs[b] - xs[a]) * (y - ys[a]) / (ys[b] - ys[a]) + xs[a]) c = !c;
      }
    }
    return c;
  }
  function link(g) {
    var a = document.createElement('a');
    a.href = 'g/' + g.d + '/index.html';
    a.appendChild(document.createTextNode(g.n));
    return a;
  }
  var mark = null, shape = null;
  function say(parts) {
    while (out.firstChild) out.removeChild(out.firstChild);
    for (var k = 0; k < parts.length; k++) {
      out.appendChild(typeof parts[k] === 'string' ? document.createTextNode(parts[k]) : parts[k]);
    }
  }
  // The finest grid at a point, named with the grids above it.
  function locate(lat, lng) {
    var x = Math.round(lng * S), y = Math.round(lat * S), best = null;
    for (var k = 0; k < grids.length; k++) {
      if ((!best || grids[k].l > best.l) && inside(grids[k], x, y)) best = grids[k];
    }
    if (mark) map.removeLayer(mark);
    if (shape) map.removeLayer(shape);
    mark = L.circleMarker([lat, lng], { radius: 7, color: '#fff', weight: 2, fillColor: '#1a73e8', fillOpacity: 1 }).addTo(map);
    shape = null;
    if (!best) {
      out.setAttribute('data-grid', '');
      say(['这个位置不在' + D.town + '的网格范围内。']);
      return null;
    }
    shape = L.polygon(ringsOf(best), { color: '#c0392b', weight: 3, fillOpacity: 0.15, interactive: false }).addTo(map);
    out.setAttribute('data-grid', best.d);
    var parts = ['您在：', link(best)], up = best.p, seen = 0;
    while (up >= 0 && up < grids.length && seen++ < 16) {
      parts.push(' · ');
      parts.push(link(grids[up]));
      up = grids[up].p;
    }
    say(parts);
    return best;
  }
  map.on('click', function (e) { locate(e.latlng.lat, e.latlng.lng); });

  btn.style.display = '';
  document.getElementById('tap').style.display = '';
  btn.onclick = function () {
    if (!navigator.geolocation) {
      say(['这个浏览器不能定位。请在地图上点您所在的位置。']);
      return;
    }
    say(['正在定位…']);
    navigator.geolocation.getCurrentPosition(function (p) {
      var lat = p.coords.latitude, lng = p.coords.longitude;
      moved = true;
      locate(lat, lng);
      map.setView([lat, lng], Math.max(map.getZoom(), 15));
    }, function () {
      say(['没能取得您的位置（没有允许定位，或没有信号）。请在地图上点您所在的位置。']);
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
  };
})();
