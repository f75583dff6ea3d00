// Zoom and pan: the plot's viewBox shows [t0, t1] ms; overlay glyphs and labels are placed in
// pixels for that view; patterns are kept at a fixed pixel size.
(function () {
  "use strict";
  var plot = document.getElementById("plot");
  var over = document.getElementById("over");
  var pw = plot.parentNode;
  var brush = document.getElementById("brush");
  var axis = document.getElementById("axis");
  var H = +plot.getAttribute("height");
  var END = +plot.dataset.end;
  var MIN_SPAN = 0.05;
  var t0 = 0, t1 = END;
  var points = over.querySelectorAll("[data-t]");
  var labels = over.querySelectorAll("[data-a]");
  var patterns = plot.querySelectorAll("pattern.px");
  var lengths = [];
  for (var i = 0; i < labels.length; i++) lengths.push(-1);
  var in0 = document.getElementById("t0"), in1 = document.getElementById("t1");
  var NS = "http://www.w3.org/2000/svg";

  function width() { return pw.clientWidth || 1; }
  function px(t) { return (t - t0) * width() / (t1 - t0); }
  function fmt(t) { return (Math.round(t * 1000) / 1000).toString(); }

  function drawAxis(k) {
    while (axis.firstChild) axis.removeChild(axis.firstChild);
    var span = t1 - t0, target = span / Math.max(2, width() / 110);
    var p = Math.pow(10, Math.floor(Math.log10(target))), step = p;
    [1, 2, 5, 10].some(function (m) { step = m * p; return step >= target; });
    for (var t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      var x = (t - t0) * k;
      var line = document.createElementNS(NS, "path");
      line.setAttribute("class", "gl2");
      line.setAttribute("d", "M" + x + " 16V" + H);
      axis.appendChild(line);
      var text = document.createElementNS(NS, "text");
      text.setAttribute("class", "tk");
      text.setAttribute("x", x + 2);
      text.setAttribute("y", 12);
      text.textContent = step >= 1000 ? fmt(t / 1000) + " s" : fmt(t) + " ms";
      axis.appendChild(text);
    }
  }

  function render() {
    var k = width() / (t1 - t0);
    // Measure every label once, before anything moves (reading between writes forces a layout
    // per label).
    if (lengths.length && lengths[0] < 0)
      for (var j = 0; j < labels.length; j++) lengths[j] = labels[j].getComputedTextLength();
    plot.setAttribute("viewBox", t0 + " 0 " + (t1 - t0) + " " + H);
    for (var i = 0; i < patterns.length; i++)
      patterns[i].setAttribute("patternTransform", "scale(" + 1 / k + " 1)");
    for (i = 0; i < points.length; i++) {
      var t = +points[i].dataset.t;
      var x = (t - t0) * k;
      points[i].setAttribute("x", x);
      points[i].style.display = x < -20 || x > width() + 200 ? "none" : "";
    }
    for (i = 0; i < labels.length; i++) {
      var el = labels[i];
      // A call's label starts at its call; a longer bar's label at the view's left edge.
      var a0 = +el.dataset.a;
      if (a0 < t0 && el.classList.contains("cl")) { el.style.display = "none"; continue; }
      var a = Math.max(a0, t0), b = Math.min(+el.dataset.b, t1);
      var room = (b - a) * k;
      if (room > lengths[i] + 6) {
        el.setAttribute("x", (a - t0) * k + 3);
        el.style.display = "";
      } else {
        el.style.display = "none";
      }
    }
    drawAxis(k);
    in0.value = fmt(t0);
    in1.value = fmt(t1);
    if (history.replaceState) history.replaceState(null, "", "#t=" + fmt(t0) + "," + fmt(t1));
  }

  function view(a, b) {
    var span = Math.min(Math.max(b - a, MIN_SPAN), END);
    if (a < 0) a = 0;
    if (a + span > END) a = END - span;
    t0 = Math.max(0, a);
    t1 = t0 + span;
    render();
  }

  function zoomAt(t, factor) {
    var span = (t1 - t0) * factor;
    var f = (t - t0) / (t1 - t0);
    view(t - f * span, t - f * span + span);
  }

  function timeAt(clientX) {
    var r = pw.getBoundingClientRect();
    return t0 + (clientX - r.left) / width() * (t1 - t0);
  }

  pw.addEventListener("wheel", function (e) {
    if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      var d = e.deltaX / width() * (t1 - t0);
      view(t0 + d, t1 + d);
    } else {
      zoomAt(timeAt(e.clientX), Math.exp(e.deltaY * 0.002));
    }
    e.preventDefault();
  }, { passive: false });

  var drag = null;
  pw.addEventListener("mousedown", function (e) {
    if (e.button !== 0) return;
    drag = { x: e.clientX, t0: t0, t1: t1, brush: e.shiftKey };
    pw.classList.add("drag");
    e.preventDefault();
  });
  window.addEventListener("mousemove", function (e) {
    if (!drag) return;
    if (drag.brush) {
      var r = pw.getBoundingClientRect();
      var a = Math.min(drag.x, e.clientX) - r.left, b = Math.max(drag.x, e.clientX) - r.left;
      brush.style.display = "block";
      brush.style.left = a + "px";
      brush.style.width = b - a + "px";
    } else {
      var d = (drag.x - e.clientX) / width() * (drag.t1 - drag.t0);
      view(drag.t0 + d, drag.t1 + d);
    }
  });
  window.addEventListener("mouseup", function (e) {
    if (!drag) return;
    if (drag.brush && Math.abs(e.clientX - drag.x) > 3) {
      var a = timeAt(Math.min(drag.x, e.clientX)), b = timeAt(Math.max(drag.x, e.clientX));
      view(a, b);
    }
    brush.style.display = "none";
    pw.classList.remove("drag");
    drag = null;
  });

  document.getElementById("fit").onclick = function () { view(0, END); };
  document.getElementById("zin").onclick = function () { zoomAt((t0 + t1) / 2, 0.5); };
  document.getElementById("zout").onclick = function () { zoomAt((t0 + t1) / 2, 2); };
  function typed() {
    var a = parseFloat(in0.value), b = parseFloat(in1.value);
    if (isFinite(a) && isFinite(b) && b > a) view(a, b); else render();
  }
  in0.onchange = typed;
  in1.onchange = typed;

  // Header links: a violation centres the view on its time; an operation on its call.
  function around(a, b) {
    var pad = Math.max((b - a) * 2, END / 50, 50);
    view(a - pad, b + pad);
  }
  var gotos = document.querySelectorAll("a.goto");
  for (var g = 0; g < gotos.length; g++) {
    gotos[g].onclick = function (e) {
      e.preventDefault();
      var t = +this.dataset.t;
      around(t, t);
    };
  }
  var ops = document.querySelectorAll("a[data-op]");
  for (var o = 0; o < ops.length; o++) {
    ops[o].onclick = function (e) {
      e.preventDefault();
      var bar = document.getElementById("op-" + this.dataset.op);
      if (!bar) return;
      var a = +bar.getAttribute("x"), b = a + +bar.getAttribute("width");
      around(a, b);
      bar.classList.add("flash");
      bar.scrollIntoView({ block: "center" });
      setTimeout(function () { bar.classList.remove("flash"); }, 1500);
    };
  }
  window.addEventListener("resize", render);
  // A view can be linked: #t=FROM,TO in milliseconds.
  var m = /^#t=([0-9.]+),([0-9.]+)$/.exec(location.hash);
  if (m && +m[2] > +m[1]) view(+m[1], +m[2]); else render();
})();
