// Renders ccsim --html pages in headless Chromium (driven by playwright-core) and checks
// that each loads without console errors and that every chart drew: each [data-chart]
// element holds a uPlot canvas of non-zero size, or says why it is empty (data-empty).
// Usage: node html-check.mjs SCREENSHOT.png PAGE.html... (run by bench/html-check.sh).
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import fs from "node:fs";

const require = createRequire(process.cwd() + "/");
const { chromium } = require("playwright-core");
const [shot, ...pages] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
let failures = 0;
for (const file of pages) {
  for (const scheme of ["light", "dark"]) {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 }, colorScheme: scheme });
    const errors = [];
    const requests = [];
    page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(`console ${m.type()}: ${m.text()}`); });
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    page.on("request", (r) => { if (!r.url().startsWith("file:")) requests.push(r.url()); });
    await page.goto(pathToFileURL(file).href, { waitUntil: "load", timeout: 30000 });
    const charts = await page.$$eval("[data-chart]", (els) => els.map((e) => {
      const c = e.querySelector("canvas");
      return { name: e.dataset.chart, empty: !!e.dataset.empty, note: e.textContent.trim().slice(0, 60),
        w: c ? c.width : 0, h: c ? c.height : 0, bg: c ? getComputedStyle(document.documentElement).getPropertyValue("--bg").trim() : "" };
    }));
    const bad = charts.filter((c) => !c.empty && !(c.w > 0 && c.h > 0));
    const drawn = charts.filter((c) => !c.empty).map((c) => `${c.name} ${c.w}x${c.h}`);
    const empty = charts.filter((c) => c.empty).map((c) => `${c.name} ("${c.note}")`);
    const ok = errors.length === 0 && requests.length === 0 && bad.length === 0 && drawn.length > 0;
    console.log(`${ok ? "ok  " : "FAIL"} ${file} [${scheme}]: drew ${drawn.join(", ")}` +
      (empty.length ? `; empty: ${empty.join(", ")}` : ""));
    for (const e of errors) console.log(`     ${e}`);
    for (const r of requests) console.log(`     network request: ${r}`);
    for (const b of bad) console.log(`     chart not drawn: ${b.name}`);
    if (!ok) failures++;
    if (scheme === "light" && shot && file === pages[0]) {
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`     screenshot ${shot} (${fs.statSync(shot).size} bytes)`);
    }
    if (scheme === "light") {
      // A4 print: the print stylesheet and the charts redrawn for the page width.
      const pdf = await page.pdf({ format: "A4" });
      const pagesN = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) || []).length;
      const overflow = await page.evaluate(async () => {
        window.dispatchEvent(new Event("beforeprint"));
        await new Promise((r) => requestAnimationFrame(() => r()));
        const w = Math.max(...[...document.querySelectorAll(".uplot canvas")].map((c) => c.getBoundingClientRect().width), 0);
        window.dispatchEvent(new Event("afterprint"));
        return w;
      });
      console.log(`     A4 PDF: ${pagesN} pages, widest chart when printing ${Math.round(overflow)} CSS px (A4 text width ~680)`);
      if (overflow > 700) { console.log("     FAIL: a chart is wider than A4"); failures++; }
    }
    await page.close();
  }
}
await browser.close();
console.log(failures ? `${failures} check(s) failed` : "all pages rendered without errors and every chart drew");
process.exit(failures ? 1 : 0);
