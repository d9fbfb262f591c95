// Screenshots for people to look at (the tests check the pages; how they
// look is a person's call): scripts/screenshot-dashboard.sh runs this.
//
//   node shots.js report REPORT.html OUT_PREFIX
//       the parts of a report where its visual defects were: the best
//       trial's box, the top of the priors figure (its legend), the
//       scatter matrix; OUT_PREFIX-best.png, -priors.png, -pairs.png
//   node shots.js dashboard URL STUDY TRIAL OUT_PREFIX
//       the dashboard's pages: OUT_PREFIX-studies.png, -study.png (the
//       top of the study page), -plots.png (further down), -trial.png
//
// Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM), headless, with
// a fresh profile.
'use strict';

const path = require('path');
const { launch } = require('./browser');

async function clip(page, selector, file, opt = {}) {
	// The element's box in page coordinates (a clip is in those).
	const box = await page.evaluate(sel => {
		const e = document.querySelector(sel);
		if (e === null)
			return null;
		const r = e.getBoundingClientRect();
		return { x: r.left + window.scrollX, y: r.top + window.scrollY,
			width: r.width, height: r.height };
	}, selector);
	if (box === null)
		throw new Error('no element ' + selector);
	const height = opt.height ? Math.min(opt.height, box.height) :
		box.height;
	await page.screenshot({
		path: file,
		clip: { x: Math.max(0, box.x - 8), y: Math.max(0, box.y - 8),
			width: Math.min(box.width + 16, 1400),
			height: height + 16 },
		captureBeyondViewport: true,
	});
	console.log('screenshot: ' + file);
}

async function report(browser, file, prefix) {
	const page = await browser.newPage();
	await page.setViewport({ width: 1400, height: 1000 });
	await page.goto('file://' + path.resolve(file));
	await clip(page, '#best-trial', prefix + '-best.png');
	await clip(page, 'svg[data-plot=priors]', prefix + '-priors.png',
		{ height: 300 });
	await clip(page, 'svg[data-plot=pairs]', prefix + '-pairs.png',
		{ height: 720 });
}

async function dashboard(browser, url, study, trial, prefix) {
	const page = await browser.newPage();
	await page.setViewport({ width: 1400, height: 1000 });
	await page.goto(url, { waitUntil: 'load' });
	await page.waitForSelector('#studies tbody tr');
	await page.screenshot({ path: prefix + '-studies.png' });
	console.log('screenshot: ' + prefix + '-studies.png');
	await page.goto(url.replace(/\/$/, '') + '/study?s=' +
		encodeURIComponent(study), { waitUntil: 'load' });
	await page.waitForSelector('svg[data-plot=history]');
	await page.waitForSelector('#trials tbody tr');
	await new Promise(r => setTimeout(r, 500));
	await page.screenshot({ path: prefix + '-study.png' });
	console.log('screenshot: ' + prefix + '-study.png');
	for (const [kind, name] of [['learning', 'curves'],
		['parallel', 'parallel'], ['contour', 'contour'],
		['edf', 'edf']]) {
		const sel = 'section#' + kind;
		if (await page.$eval(sel, e => e.hidden))
			continue;
		await page.$eval(sel, e => e.scrollIntoView());
		await page.waitForSelector('#fig-' + kind + ' svg');
		await clip(page, sel, prefix + '-' + name + '.png',
			{ height: 700 });
	}
	await page.goto(url.replace(/\/$/, '') + '/trial?id=' + trial,
		{ waitUntil: 'load' });
	await page.waitForSelector('#trial-params tr');
	await page.screenshot({ path: prefix + '-trial.png' });
	console.log('screenshot: ' + prefix + '-trial.png');
}

async function main() {
	const [mode, ...args] = process.argv.slice(2);
	const browser = await launch();
	try {
		if (mode === 'report')
			await report(browser, args[0], args[1]);
		else if (mode === 'dashboard')
			await dashboard(browser, ...args);
		else
			throw new Error('usage: shots.js report|dashboard ...');
	} finally {
		await browser.close();
	}
}

main().catch(e => {
	console.error(e);
	process.exit(1);
});
