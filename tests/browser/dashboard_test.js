// The dashboard in a real browser: Debian's chromium, headless, driven
// by puppeteer-core. test_dashboard.py starts parzend, fills a study and
// starts `parzen dashboard`, then runs one check of this file per test:
//
//   node dashboard_test.js CHECK URL STUDY SOCKET
//
// Each check throws (exit 1, with the reason) when the page does not do
// what it must, and prints one JSON line of what it saw for the Python
// side to compare with parzend. The JSON-RPC calls to parzend go over its
// Unix socket directly, as a worker's would.
'use strict';

const assert = require('assert');
const net = require('net');
const { launch } = require('./browser');

// One JSON-RPC call on a fresh connection to parzend.
function rpc(socket, method, params) {
	return new Promise((resolve, reject) => {
		const c = net.createConnection({ path: socket });
		let buf = '';
		c.on('connect', () => c.write(JSON.stringify({
			jsonrpc: '2.0', id: 1, method: method, params: params,
		}) + '\n'));
		c.on('data', d => {
			buf += d;
			let nl;
			while ((nl = buf.indexOf('\n')) >= 0) {
				const msg = JSON.parse(buf.slice(0, nl));
				buf = buf.slice(nl + 1);
				if (msg.id !== 1)
					continue;
				c.end();
				if (msg.error)
					reject(new Error(method + ': ' + msg.error.message));
				else
					resolve(msg.result);
			}
		});
		c.on('error', reject);
	});
}

async function openStudy(browser, url, study) {
	const page = await browser.newPage();
	await page.setViewport({ width: 1400, height: 1000 });
	const errors = [];
	page.on('pageerror', e => errors.push(e.message));
	const res = await page.goto(url + 'study?s=' + encodeURIComponent(study),
		{ waitUntil: 'load' });
	assert.strictEqual(res.status(), 200);
	await page.waitForSelector('#table table.trials tbody tr');
	// The stream is open and says parzend is followed.
	await page.waitForFunction(() =>
		document.getElementById('live').textContent === 'live');
	return { page, errors };
}

function counts(page) {
	return page.$$eval('#summary .chips span[data-state]', spans =>
		Object.fromEntries(spans.map(s => [s.getAttribute('data-state'),
			+s.getAttribute('data-count')])));
}

// Studies page, study page: every figure drawn, the table there.
async function checkLoad(browser, url, study) {
	const page = await browser.newPage();
	await page.setViewport({ width: 1400, height: 1000 });
	const errors = [];
	page.on('pageerror', e => errors.push(e.message));
	await page.goto(url, { waitUntil: 'load' });
	const rows = await page.$$eval('#studies-table tbody tr',
		trs => trs.map(tr => tr.getAttribute('data-study')));
	assert.ok(rows.includes(study), 'studies page lists ' + study);
	await page.close();

	const s = await openStudy(browser, url, study);
	const kinds = await s.page.$$eval('.fig[data-kind]', els =>
		els.filter(e => !e.closest('section').hidden)
			.map(e => e.getAttribute('data-kind')));
	const figures = {};
	for (const kind of kinds) {
		// Figures are drawn as they come on screen.
		await s.page.$eval('#fig-' + kind, e => e.scrollIntoView());
		await s.page.waitForSelector('#fig-' + kind +
			' svg[data-plot="' + kind + '"]', { timeout: 20000 });
		figures[kind] = await s.page.$eval('#fig-' + kind + ' svg',
			svg => ({
				empty: svg.querySelector('[data-empty]') !== null,
				points: svg.querySelectorAll('[data-trial]').length,
			}));
	}
	// The learning curves: one path a trial that reported, the pruned
	// ones marked where they stopped.
	const curves = kinds.includes('learning')
		? await s.page.$eval('#fig-learning svg', svg => ({
			n: +svg.querySelector('g.curves').getAttribute('data-n'),
			drawn: [...svg.querySelectorAll('g.curves path.curve')]
				.map(p => ({ trial: +p.getAttribute('data-trial'),
					state: p.getAttribute('data-state'),
					steps: +p.getAttribute('data-steps'),
					best: p.classList.contains('best') })),
			ends: [...svg.querySelectorAll('g.curves path.cend')]
				.map(p => +p.getAttribute('data-trial')),
		}))
		: null;
	const table = await s.page.$eval('#table table.trials', t => ({
		total: +t.getAttribute('data-total'),
		rows: t.tBodies[0].rows.length,
		first: t.tBodies[0].rows[0].getAttribute('data-trial'),
	}));
	// Sorting by loss, ascending: the best trial comes first.
	await s.page.click('#table th[data-key=loss]');
	await s.page.waitForFunction(() => {
		const t = document.querySelector('#table table.trials');
		return t && t.getAttribute('data-sort') === 'loss' &&
			t.getAttribute('data-dir') === 'asc';
	});
	const bestRow = await s.page.$eval('#table tbody tr',
		tr => tr.getAttribute('data-trial'));
	// A filter by a choice's value.
	await s.page.type('#filter', 'activation=tanh');
	await s.page.waitForFunction(() => {
		const t = document.querySelector('#table table.trials');
		return t && +t.getAttribute('data-matched') <
			+t.getAttribute('data-total');
	});
	const tanh = await s.page.$$eval('#table tbody tr', trs => {
		const head = [...document.querySelectorAll('#table th')]
			.map(th => th.getAttribute('data-key'));
		const col = head.indexOf('activation');
		return trs.map(tr => tr.cells[col].textContent);
	});
	const summary = await counts(s.page);
	const best = await s.page.$eval('#best', h => h.getAttribute('data-trial'));
	// The trial page of the best trial: params by value.
	await s.page.click('#best a');
	await s.page.waitForSelector('#trial-params tr');
	const params = await s.page.$$eval('#trial-params tr', trs =>
		Object.fromEntries(trs.map(tr => [tr.cells[0].textContent,
			tr.cells[1].textContent])));
	assert.deepStrictEqual(s.errors.concat(errors), []);
	console.log(JSON.stringify({ kinds, figures, curves, table, bestRow,
		tanh, summary, best, params }));
}

// A tell through the socket shows on the page within 2 s.
async function checkLive(browser, url, study, socket) {
	const s = await openStudy(browser, url, study);
	const before = await counts(s.page);
	await s.page.$eval('#fig-history', e => e.scrollIntoView());
	await s.page.waitForSelector('#fig-history svg[data-plot=history]');
	const list = await rpc(socket, 'trial.list',
		{ study: study, state: 'running' });
	assert.ok(list.trials.length > 0, 'a running trial to tell');
	const t = list.trials[0];
	const t0 = Date.now();
	await rpc(socket, 'trial.tell', { trial: t.id, attempt: t.attempt,
		status: 'ok', loss: 0.001 });
	await s.page.waitForFunction(n => {
		const c = document.querySelector(
			'#summary .chips span[data-state=ok]');
		return c && +c.getAttribute('data-count') === n;
	}, { timeout: 2000, polling: 50 }, before.ok + 1);
	const counted = Date.now() - t0;
	// The figures follow: the new best is ringed in the history.
	await s.page.waitForFunction(n => {
		const b = document.querySelector('#fig-history circle.best');
		return b && +b.getAttribute('data-trial') === n;
	}, { timeout: 2000, polling: 50 }, t.number);
	const drawn = Date.now() - t0;
	const after = await counts(s.page);
	assert.deepStrictEqual(s.errors, []);
	console.log(JSON.stringify({ before, after, trial: t.number, counted,
		drawn }));
}

// The pause button pauses the study (and resume resumes it).
async function checkPause(browser, url, study, socket) {
	const s = await openStudy(browser, url, study);
	assert.strictEqual(await s.page.$eval('#pause', b => b.textContent),
		'Pause');
	await s.page.click('#pause');
	await s.page.waitForFunction(() =>
		document.getElementById('state').textContent === 'paused',
		{ timeout: 5000 });
	const paused = (await rpc(socket, 'study.get', { study: study })).study;
	assert.strictEqual(paused.state, 'paused');
	assert.strictEqual(await s.page.$eval('#pause', b => b.textContent),
		'Resume');
	await s.page.click('#pause');
	await s.page.waitForFunction(() =>
		document.getElementById('state').textContent === 'running',
		{ timeout: 5000 });
	const resumed = (await rpc(socket, 'study.get', { study: study })).study;
	// Enqueue by values (the value form): a choice as the pages name its
	// option.
	await s.page.type('#enqueue textarea', JSON.stringify({
		nb_hidden_layers: 'units_1_of_1', units_1_of_1: 64,
		activation: 'tanh', solver: 'adam', adam_beta_1: 0.9,
		adam_beta_2: 0.999, learning_rate_init: 0.003, alpha: 0.0001,
		batch_size: 64,
	}));
	const answered = n => s.page.waitForFunction(k =>
		document.getElementById('amsg').getAttribute('data-n') === k,
		{ timeout: 5000 }, String(n));
	await answered(2); /* pause, resume */
	await s.page.click('#enqueue button');
	await answered(3);
	const enqueue = await s.page.$eval('#amsg', m => m.textContent);
	// A value that names no option: parzend's refusal, with its path.
	await s.page.$eval('#enqueue textarea', t => { t.value = ''; });
	await s.page.type('#enqueue textarea', JSON.stringify({
		nb_hidden_layers: 'units_1_of_1', units_1_of_1: 64,
		activation: 'swish', solver: 'adam', adam_beta_1: 0.9,
		adam_beta_2: 0.999, learning_rate_init: 0.003, alpha: 0.0001,
		batch_size: 64,
	}));
	await s.page.click('#enqueue button');
	await answered(4);
	const refused = await s.page.$eval('#amsg', m => ({
		text: m.textContent, cls: m.className,
		path: m.getAttribute('data-path') }));
	assert.deepStrictEqual(s.errors, []);
	console.log(JSON.stringify({ paused: paused.state,
		resumed: resumed.state, enqueue, refused }));
}

// Raising the budget of a done study: the page shows it running again,
// and the trials asked for after it arrive on the page.
async function checkBudget(browser, url, study, socket) {
	const s = await openStudy(browser, url, study);
	const state = () => s.page.$eval('#state', e => e.textContent);
	const before = await state();
	const was = (await rpc(socket, 'study.get', { study: study })).study;
	const refusedAsk = await rpc(socket, 'trial.ask', { study: study });
	const more = was.max_trials + 3;
	await s.page.$eval('#budget input', (i, v) => { i.value = v; }, more);
	await s.page.click('#budget button');
	await s.page.waitForFunction(() =>
		document.getElementById('amsg').getAttribute('data-n') === '1',
		{ timeout: 5000 });
	const answer = await s.page.$eval('#amsg', m => m.textContent);
	await s.page.waitForFunction(() =>
		document.getElementById('state').textContent === 'running',
		{ timeout: 5000 });
	const raised = (await rpc(socket, 'study.get', { study: study })).study;
	// Three new trials, asked and told through the socket.
	const told = [];
	for (let k = 0; k < 3; k++) {
		const t = (await rpc(socket, 'trial.ask',
			{ study: study, worker: 'late' })).trial;
		assert.ok(t, 'a trial after the budget was raised');
		await rpc(socket, 'trial.tell', { trial: t.id, attempt: t.attempt,
			status: 'ok', loss: 0.5 + k });
		told.push(t.number);
	}
	await s.page.waitForFunction(n => {
		const c = document.querySelector(
			'#summary .chips span[data-state=total]');
		return c && +c.getAttribute('data-count') === n &&
			document.getElementById('state').textContent === 'done';
	}, { timeout: 5000, polling: 50 }, more);
	const after = await counts(s.page);
	// The newest trials head the table.
	await s.page.waitForFunction(n => {
		const r = document.querySelector('#table tbody tr');
		return r && +r.getAttribute('data-trial') === n;
	}, { timeout: 5000 }, told[2]);
	assert.deepStrictEqual(s.errors, []);
	console.log(JSON.stringify({ before, refusedAsk, answer,
		raised: { state: raised.state, max_trials: raised.max_trials },
		told, after, end: await state() }));
}

// Bound off loopback: nothing without the token; the printed URL works.
async function checkToken(browser, url, study, socket, tokenUrl) {
	const page = await browser.newPage();
	const bare = await page.goto(url, { waitUntil: 'load' });
	const bareText = await page.$eval('body', b => b.textContent);
	const studyBare = await page.goto(url + 'study?s=' +
		encodeURIComponent(study), { waitUntil: 'load' });
	const fig = await page.goto(url + 'figure?s=' +
		encodeURIComponent(study) + '&kind=history', { waitUntil: 'load' });
	// A POST from a page without the token is refused too.
	const post = await page.evaluate(async (u, st) => {
		const r = await fetch(u + 'action?s=' + encodeURIComponent(st) +
			'&do=pause', { method: 'POST', headers:
			{ 'Content-Type': 'application/json' }, body: '{}' });
		return r.status;
	}, url, study);
	// With the token URL: a cookie, a redirect, the page.
	const ok = await page.goto(tokenUrl, { waitUntil: 'load' });
	const landed = page.url();
	await page.waitForSelector('#studies-table');
	const studyOk = await page.goto(url + 'study?s=' +
		encodeURIComponent(study), { waitUntil: 'load' });
	// The cookie alone does not make a change: the header is needed.
	const cookieOnly = await page.evaluate(async (u, st) => {
		const r = await fetch(u + 'action?s=' + encodeURIComponent(st) +
			'&do=pause', { method: 'POST', headers:
			{ 'Content-Type': 'application/json' }, body: '{}' });
		return r.status;
	}, url, study);
	const state = (await rpc(socket, 'study.get', { study: study })).study
		.state;
	console.log(JSON.stringify({ bare: bare.status(), bareText,
		studyBare: studyBare.status(), figure: fig.status(), post,
		ok: ok.status(), landed, studyOk: studyOk.status(), cookieOnly,
		state }));
}

async function main() {
	const [check, url, study, socket, extra] = process.argv.slice(2);
	const browser = await launch();
	try {
		if (check === 'load')
			await checkLoad(browser, url, study);
		else if (check === 'live')
			await checkLive(browser, url, study, socket);
		else if (check === 'pause')
			await checkPause(browser, url, study, socket);
		else if (check === 'budget')
			await checkBudget(browser, url, study, socket);
		else if (check === 'token')
			await checkToken(browser, url, study, socket, extra);
		else
			throw new Error('no check ' + check);
	} finally {
		await browser.close();
	}
}

main().catch(e => {
	console.error(e && e.stack ? e.stack : e);
	process.exit(1);
});
