/* gridmap: the township's map on the published site. ES5 for old phone browsers.
   Draws window.GRIDMAP_DATA (data/grids.js) with Leaflet and answers 我在哪个网格:
   the phone's location, or a tap on the map, found in the grids by point-in-polygon.
   A large site (a county, a city) carries its upper levels there and the rest in tiles
   (data/t/K.js), loaded only where the map looks or a point is asked about. */
(function () {
  var D = window.GRIDMAP_DATA, L = window.L;
  var box = document.getElementById('tmap');
  var btn = document.getElementById('where');
  var out = document.getElementById('here');
  var hint = document.getElementById('tap');
  if (!D || !L || !box || !btn || !out || !D.b || !document.createElement) return;
  var S = 1e6, i, j;

  function decode(a) {
    var x = a[0], y = a[1], xs = [x], ys = [y], ll = [[y / S, x / S]];
    for (var k = 2; k + 1 < a.length; k += 2) {
      x += a[k]; y += a[k + 1];
      xs.push(x); ys.push(y); ll.push([y / S, x / S]);
    }
    return { xs: xs, ys: ys, ll: ll };
  }
  function prepare(list) {
    for (var k = 0; k < list.length; k++) {
      var g = list[k];
      g.rings = [];
      for (var m = 0; m < g.r.length; m++) g.rings.push(decode(g.r[m]));
      g.r = null;
    }
    return list;
  }
  var grids = prepare(D.grids), tiles = D.tiles || [];

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
  // The view first: a layer added to a map without one cannot be drawn.
  var whole = [[D.b[1] / S, D.b[0] / S], [D.b[3] / S, D.b[2] / S]], moved = false;
  map.fitBounds(whole);

  // The finest grids filled, the villages and the town outlined over them.
  var fine = L.layerGroup().addTo(map), upper = L.layerGroup().addTo(map);
  function draw(list) {
    var order = list.slice().sort(function (a, b) { return b.l - a.l; });
    for (var k = 0; k < order.length; k++) {
      var o = order[k];
      if (!o.rings.length) continue;
      if (o.l < D.deepest) {
        L.polygon(ringsOf(o), { color: o.l <= 1 ? '#c0392b' : '#7d3c98', weight: o.l <= 1 ? 3 : 2, fill: false, interactive: false }).addTo(upper);
      } else {
        L.polygon(ringsOf(o), { color: '#555', weight: 1, fillColor: '#f4c27a', fillOpacity: 0.3, interactive: false }).addTo(fine);
      }
    }
    upper.eachLayer(function (l) { l.bringToFront(); });
  }
  draw(grids);
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

  // Tiles: each loaded once, by a script element (works from a server and from a folder).
  var waiting = {};
  window.GRIDMAP_TILE = function (k, list) {
    tiles[k].grids = prepare(list);
    draw(list);
    var cbs = waiting[k] || [];
    waiting[k] = null;
    for (var m = 0; m < cbs.length; m++) cbs[m]();
  };
  function load(k, done) {
    if (tiles[k].grids) { done(); return; }
    if (waiting[k]) { waiting[k].push(done); return; }
    waiting[k] = [done];
    var sc = document.createElement('script');
    sc.src = 'data/' + tiles[k].f;
    sc.onerror = function () { tiles[k].grids = []; window.GRIDMAP_TILE(k, []); };
    document.body.appendChild(sc);
  }
  function loadAll(ks, done) {
    var left = ks.length;
    if (!left) { done(); return; }
    for (var m = 0; m < ks.length; m++) load(ks[m], function () { if (--left === 0) done(); });
  }
  function meets(b, x0, y0, x1, y1) { return b[0] <= x1 && b[2] >= x0 && b[1] <= y1 && b[3] >= y0; }
  function tilesMeeting(x0, y0, x1, y1) {
    var ks = [];
    for (var k = 0; k < tiles.length; k++) if (meets(tiles[k].b, x0, y0, x1, y1)) ks.push(k);
    return ks;
  }
  var MOST_TILES = 6;
  function showTiles() {
    if (!tiles.length) return;
    var v = map.getBounds();
    var ks = tilesMeeting(v.getWest() * S, v.getSouth() * S, v.getEast() * S, v.getNorth() * S);
    if (ks.length > MOST_TILES) {
      hint.firstChild.nodeValue = '放大地图可看到各个网格；在地图上点一个位置，也能查到它所在的网格。';
      return;
    }
    hint.firstChild.nodeValue = hint.getAttribute('data-text');
    loadAll(ks, function () {});
  }
  map.on('moveend', showTiles);

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
  function link(name, dir) {
    var a = document.createElement('a');
    a.href = 'g/' + dir + '/index.html';
    a.appendChild(document.createTextNode(name));
    return a;
  }
  var mark = null, shape = null;
  function say(parts) {
    while (out.firstChild) out.removeChild(out.firstChild);
    for (var k = 0; k < parts.length; k++) {
      out.appendChild(typeof parts[k] === 'string' ? document.createTextNode(parts[k]) : parts[k]);
    }
  }
  function finest(list, x, y, best) {
    for (var k = 0; k < list.length; k++) {
      if ((!best || list[k].l > best.l) && inside(list[k], x, y)) best = list[k];
    }
    return best;
  }
  // Grid g outlined and named with the grids above it, after `lead`.
  function answer(g, lead, fit) {
    if (shape) map.removeLayer(shape);
    shape = L.polygon(ringsOf(g), { color: '#c0392b', weight: 3, fillOpacity: 0.15, interactive: false }).addTo(map);
    if (fit) map.fitBounds(shape.getBounds(), { maxZoom: 17 });
    var parts = [lead, link(g.n, g.d)];
    for (var u = 0; u < g.u.length; u++) {
      parts.push(' · ');
      parts.push(link(g.u[u][0], g.u[u][1]));
    }
    say(parts);
    out.setAttribute('data-grid', g.d);
  }
  // The finest grid at a point, named with the grids above it (tiles there loaded first);
  // `fit`: the map shows that grid.
  function locate(lat, lng, fit) {
    var x = Math.round(lng * S), y = Math.round(lat * S), ks = tilesMeeting(x, y, x, y);
    if (mark) map.removeLayer(mark);
    mark = L.circleMarker([lat, lng], { radius: 7, color: '#fff', weight: 2, fillColor: '#1a73e8', fillOpacity: 1 }).addTo(map);
    loadAll(ks, function () {
      var best = finest(grids, x, y, null);
      for (var m = 0; m < ks.length; m++) best = finest(tiles[ks[m]].grids, x, y, best);
      if (!best) {
        if (shape) map.removeLayer(shape);
        shape = null;
        if (fit) map.setView([lat, lng], Math.max(map.getZoom(), 13));
        say(['这个位置不在' + D.town + '的网格范围内。']);
        out.setAttribute('data-grid', '');
        return;
      }
      answer(best, '您在：', fit);
    });
  }
  // Opened from a grid's page (index.html?g=DIR&b=BOX): the map shows that grid.
  var qg = /[?&]g=([^&#]*)/.exec(location.search);
  var qb = /[?&]b=(-?\d+),(-?\d+),(-?\d+),(-?\d+)/.exec(location.search);
  if (qg && qb) {
    var gb = [+qb[1], +qb[2], +qb[3], +qb[4]], want = qg[1], ks0 = tilesMeeting(gb[0], gb[1], gb[2], gb[3]);
    moved = true;
    map.fitBounds([[gb[1] / S, gb[0] / S], [gb[3] / S, gb[2] / S]], { maxZoom: 17 });
    loadAll(ks0, function () {
      var lists = [grids];
      for (var m = 0; m < ks0.length; m++) lists.push(tiles[ks0[m]].grids);
      for (var a = 0; a < lists.length; a++) {
        for (var b = 0; b < lists[a].length; b++) {
          if (lists[a][b].d === want) { answer(lists[a][b], '地图上是：', false); return; }
        }
      }
    });
  }
  map.on('click', function (e) { locate(e.latlng.lat, e.latlng.lng, false); });

  btn.style.display = '';
  hint.style.display = '';
  hint.setAttribute('data-text', hint.firstChild.nodeValue);
  btn.onclick = function () {
    if (!navigator.geolocation) {
      say(['这个浏览器不能定位。请在地图上点您所在的位置。']);
      return;
    }
    say(['正在定位…']);
    navigator.geolocation.getCurrentPosition(function (p) {
      moved = true;
      locate(p.coords.latitude, p.coords.longitude, true);
    }, function () {
      say(['没能取得您的位置（没有允许定位，或没有信号）。请在地图上点您所在的位置。']);
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
  };
})();
