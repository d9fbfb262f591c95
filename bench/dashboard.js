// The browser half of bench/dashboard.py: open a study page cold and time
// it, then tell trials through parzend's socket and time the page's
// update. Prints one JSON line. Chromium is Debian's, headless, through
// puppeteer-core (NODE_PATH points at tests/browser's node_modules).
//
//   node dashboard.js URL STUDY SOCKET UPDATES
'use strict';

const net = require('net');
const path = require('path');
const { launch } = require(path.join(__dirname, '..', 'tests', 'browser',
	'browser'));

function rpc(socket, method, params) {
	return new Promise((resolve, reject) => {
		const c = net.createConnection({ path: socket });
		let buf = '';
		c.on('connect', () => c.write(JSON.stringify({
			jsonrpc: '2.0', id: 1, method: method, params: params,
		}) + '\n'));
		c.on('data', d => {
			buf += d;
			const nl = buf.indexOf('\n');
			if (nl < 0)
				return;
			const msg = JSON.parse(buf.slice(0, nl));
			c.end();
			if (msg.error)
				reject(new Error(method + ': ' + msg.error.message));
			else
				resolve(msg.result);
		});
		c.on('error', reject);
	});
}

async function main() {
	const [url, study, socket, updates] = process.argv.slice(2);
	const browser = await launch();
	const out = { counts: [], redraws: [] };
	try {
		const page = await browser.newPage();
		await page.setViewport({ width: 1400, height: 1000 });
		const t0 = Date.now();
		await page.goto(url + 'study?s=' + encodeURIComponent(study),
			{ waitUntil: 'domcontentloaded' });
		await page.waitForSelector('#fig-history svg[data-plot=history]',
			{ timeout: 600000 });
		out.history = Date.now() - t0;
		await page.waitForSelector('#table table.trials tbody tr',
			{ timeout: 600000 });
		out.table = Date.now() - t0;
		out.fcp = Math.round(await page.evaluate(() => {
			const e = performance.getEntriesByName(
				'first-contentful-paint')[0];
			return e ? e.startTime : -1;
		}));
		await page.waitForFunction(() =>
			document.getElementById('live').textContent === 'live');
		for (let i = 0; i < +updates; i++) {
			// A new trial to tell: ask, then wait until the page
			// settled, then tell and time.
			const t = (await rpc(socket, 'trial.ask',
				{ study: study, worker: 'bench' })).trial;
			await new Promise(r => setTimeout(r, 1500));
			const ok = await page.$eval(
				'#summary .chips span[data-state=ok]',
				s => +s.getAttribute('data-count'));
			const loaded = await page.$eval('#fig-history',
				e => e.getAttribute('data-loaded'));
			const start = Date.now();
			await rpc(socket, 'trial.tell', { trial: t.id,
				attempt: t.attempt, status: 'ok', loss: 0.5 });
			await page.waitForFunction(n => +document.querySelector(
				'#summary .chips span[data-state=ok]')
				.getAttribute('data-count') === n,
			{ timeout: 120000, polling: 10 }, ok + 1);
			out.counts.push(Date.now() - start);
			await page.waitForFunction(l => {
				const e = document.getElementById('fig-history');
				return e.getAttribute('data-loaded') !== l &&
					e.querySelector('g.pts.ok') !== null;
			}, { timeout: 120000, polling: 10 }, loaded);
			out.redraws.push(Date.now() - start);
		}
	} finally {
		await browser.close();
	}
	console.log(JSON.stringify(out));
}

main().catch(e => {
	console.error(e && e.stack ? e.stack : e);
	process.exit(1);
});
