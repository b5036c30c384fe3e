// Small inline SVG charts of the dashboard (dashboard.js): lines, bars,
// sparklines and rate bars. Our own code, no library, no request. Colours
// and dashes come from dashboard.css through the classes set here (the CSP
// allows no style attributes). Each chart is role="img" with a title and a
// description; the page puts its numbers in a table beside it.

const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs, ...kids) {
	const n = document.createElementNS(NS, tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false) continue;
		if (k === "text") n.textContent = v;
		else n.setAttribute(k, String(v));
	}
	for (const c of kids) if (c) n.append(c);
	return n;
}

// The drawing width: the content column of the page (main is at most
// 72rem, cards have padding), so text keeps its size on any screen.
function width() {
	const w = Math.min(window.innerWidth || 800, 1152);
	return Math.max(260, Math.round(w - (w < 640 ? 72 : 96)));
}

// 0 and a round top: 1, 2, 2.5 or 5 times a power of ten.
function niceMax(v) {
	if (!(v > 0)) return 1;
	const p = Math.pow(10, Math.floor(Math.log10(v)));
	for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
	return 10 * p;
}

const r1 = (v) => Math.round(v * 10) / 10;

// Axes shared by lines and bars: grid, y labels, x labels (every k-th).
function frame(o, n, yMax, x, y, H, M, W) {
	const g = svg("g", { class: "axes", "aria-hidden": "true" });
	for (let i = 0; i <= 4; i++) {
		const v = (yMax * i) / 4, yy = r1(y(v));
		g.append(svg("line", { class: "grid" + (i === 0 ? " base" : ""), x1: M.l, x2: W - M.r, y1: yy, y2: yy }));
		g.append(svg("text", { class: "ylab", x: M.l - 6, y: yy + 4, "text-anchor": "end", text: o.fmt(v) }));
	}
	const room = Math.max(1, Math.floor((W - M.l - M.r) / 64));
	const step = Math.max(1, Math.ceil(n / room));
	for (let i = 0; i < n; i += step) {
		g.append(svg("text", { class: "xlab", x: r1(x(i)), y: H - 8, "text-anchor": n === 1 ? "middle" : i === 0 ? "start" : "middle", text: o.labels[i] }));
	}
	return g;
}

function shell(o, W, H) {
	const tid = o.id + "-title", did = o.id + "-desc";
	return svg("svg", { id: o.id, class: "chart-svg", viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-labelledby": tid + " " + did, focusable: "false" },
		svg("title", { id: tid, text: o.title }), svg("desc", { id: did, text: o.desc }));
}

// Lines: o = {id, labels, title, desc, series: [{name, cls, values}], fmt}.
export function lineChart(o) {
	const W = width(), H = W < 480 ? 200 : 240;
	const M = { l: 64, r: 14, t: 12, b: 30 };
	const n = o.labels.length;
	const yMax = niceMax(Math.max(0, ...o.series.flatMap((s) => s.values)));
	const x = (i) => (n <= 1 ? (M.l + W - M.r) / 2 : M.l + ((W - M.l - M.r) * i) / (n - 1));
	const y = (v) => H - M.b - ((H - M.t - M.b) * v) / yMax;
	const root = shell(o, W, H);
	root.append(frame(o, n, yMax, x, y, H, M, W));
	for (const s of o.series) {
		const g = svg("g", { class: "series " + s.cls });
		const d = s.values.map((v, i) => (i ? "L" : "M") + r1(x(i)) + " " + r1(y(v))).join(" ");
		g.append(svg("path", { class: "line", d }));
		// Points where they have room (else they hide the dashes); each
		// says its value on hover.
		if (n <= 45 && (W - M.l - M.r) / Math.max(1, n - 1) >= 14) {
			s.values.forEach((v, i) => g.append(svg("circle", { class: "pt", cx: r1(x(i)), cy: r1(y(v)), r: 3 },
				svg("title", { text: o.labels[i] + ": " + s.name + " " + o.fmt(v) }))));
		}
		root.append(g);
	}
	return root;
}

// Bars of counts: o = {id, labels, title, desc, values, fmt}.
export function barChart(o) {
	const W = width(), H = 130;
	const M = { l: 64, r: 14, t: 10, b: 30 };
	const n = o.labels.length;
	// Whole numbers: a top that splits into four whole steps.
	const yMax = Math.max(4, Math.ceil(niceMax(Math.max(0, ...o.values)) / 4) * 4);
	const slot = (W - M.l - M.r) / Math.max(1, n);
	const bw = Math.max(1, Math.min(28, slot * 0.7));
	const x = (i) => M.l + slot * i + slot / 2;
	const y = (v) => H - M.b - ((H - M.t - M.b) * v) / yMax;
	const root = shell(o, W, H);
	const fmt = (v) => o.fmt(v);
	root.append(frame({ ...o, fmt }, n, yMax, x, y, H, M, W));
	const g = svg("g", { class: "series s-orders" });
	o.values.forEach((v, i) => {
		const top = y(v);
		g.append(svg("rect", { class: "bar", x: r1(x(i) - bw / 2), y: r1(top), width: r1(bw), height: r1(H - M.b - top) },
			svg("title", { text: o.labels[i] + ": " + fmt(v) + " orders" })));
	});
	root.append(g);
	return root;
}

// A sparkline: o = {id, values, label}; the label says first and last.
export function sparkline(o) {
	const W = 120, H = 32, P = 3;
	const lo = Math.min(...o.values), hi = Math.max(...o.values);
	const span = hi - lo || 1;
	const n = o.values.length;
	const x = (i) => P + ((W - 2 * P) * i) / Math.max(1, n - 1);
	const y = (v) => (hi === lo ? H / 2 : H - P - ((H - 2 * P) * (v - lo)) / span);
	const pts = o.values.map((v, i) => r1(x(i)) + "," + r1(y(v))).join(" ");
	return svg("svg", { id: o.id, class: "spark", viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-label": o.label, focusable: "false" },
		svg("polyline", { class: "spark-line", points: pts }),
		svg("circle", { class: "spark-end", cx: r1(x(n - 1)), cy: r1(y(o.values[n - 1])), r: 2.5 }));
}

// A rate as a bar, the longest for o.max: o = {value, max} (fractions).
// Decoration: the number is in the cell beside it.
export function rateBar(o) {
	const W = 100, H = 12;
	const v = o.max > 0 ? Math.max(0, Math.min(1, (o.value || 0) / o.max)) : 0;
	return svg("svg", { class: "rate-bar", viewBox: "0 0 " + W + " " + H, width: W, height: H, "aria-hidden": "true", focusable: "false" },
		svg("rect", { class: "rate-track", x: 0, y: 0, width: W, height: H, rx: 3 }),
		svg("rect", { class: "rate-fill", x: 0, y: 0, width: r1(W * v), height: H, rx: 3 }));
}
