// Start Debian's chromium headless for the dashboard's browser tests,
// screenshots and benchmark: puppeteer-core (which downloads no browser)
// with the flags that keep a headless run quiet and self-contained, and a
// fresh profile directory that is removed when the browser closes.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const puppeteer = require('puppeteer-core');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

async function launch() {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pz-chromium-'));
	const browser = await puppeteer.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: [
			'--headless', '--no-sandbox', '--disable-gpu',
			'--disable-quic', '--no-first-run',
			'--disable-background-networking',
			'--disable-component-update', '--disable-sync',
			'--user-data-dir=' + profile,
		],
	});
	const close = browser.close.bind(browser);
	browser.close = async () => {
		try {
			await close();
		} finally {
			fs.rmSync(profile, { recursive: true, force: true });
		}
	};
	return browser;
}

module.exports = { launch };
