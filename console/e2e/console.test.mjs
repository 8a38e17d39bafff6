// Browser tests of the staff console, run by integration/console_test.go
// against a Concierge it starts (real Temporal, real PostgreSQL, demo data):
// playwright-core drives Debian's Chromium. Every check throws on failure,
// so a failing step ends the run with exit code 1 and says which step.
//
// Environment (set by the Go test):
//   CONSOLE_URL         the server, e.g. http://127.0.0.1:43210
//   CONSOLE_PASSWORD    the password of every test account
//   CONSOLE_CASE        a complaint of engineering (li_qiang) whose
//                       description is <script>alert(1)</script>
//   CONSOLE_OUTSIDER    a member whose communities exclude the case's
//   CONSOLE_FIELD_CASE  another routed complaint of engineering (li_qiang)
//   CONSOLE_CALL_MONTH  a callback campaign month with CONSOLE_CALL_TASK,
//   CONSOLE_CALL_TASK   an open task of liu_fang's (13800130005)
//   CONSOLE_CYCLE       a training cycle whose exam is open; liu_fang is
//                       enrolled
//   CONSOLE_EXAM_ANSWERS its right answers, {"question id": "choice"}
//   CONSOLE_EMAIL       an inbound email in triage whose body holds
//                       <script>alert("mail")</script>
//   CONSOLE_FEE_COMMUNITY a community with no fee standards, for the editor
//   SCREENSHOT_DIR      where the PNGs of the main screens go
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const base = env("CONSOLE_URL");
const password = env("CONSOLE_PASSWORD");
const caseNumber = env("CONSOLE_CASE");
const outsider = env("CONSOLE_OUTSIDER");
const shots = env("SCREENSHOT_DIR");
const cycle = env("CONSOLE_CYCLE");
const callMonth = env("CONSOLE_CALL_MONTH");
const fieldCase = env("CONSOLE_FIELD_CASE");
const callTask = env("CONSOLE_CALL_TASK");
const examAnswers = JSON.parse(env("CONSOLE_EXAM_ANSWERS"));
const email = env("CONSOLE_EMAIL");
const feeCommunity = env("CONSOLE_FEE_COMMUNITY");
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});

let failures = 0;
async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    failures++;
    console.log(`FAIL ${name}: ${err && err.stack ? err.stack : err}`);
  }
}

// A fresh browser profile per member of staff: its own cookies. Every
// request must stay on the console's server (no CDN, no outside request),
// and no dialog may open (an alert would be a script that ran).
async function newPage(viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ viewport, locale: "zh-CN" });
  const page = await context.newPage();
  page.outside = [];
  page.dialogs = [];
  page.on("request", (r) => { if (!r.url().startsWith(base)) page.outside.push(r.url()); });
  page.on("dialog", async (d) => { page.dialogs.push(d.message()); await d.dismiss(); });
  return page;
}

async function signIn(page, username) {
  await page.goto(`${base}/console/login`);
  await page.fill("#username", username);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  assert.ok(!page.url().includes("/console/login"), `signed in as ${username}: still on ${page.url()}`);
}

async function signOut(page) {
  await Promise.all([page.waitForNavigation(), page.click("form[action='/console/logout'] button")]);
  assert.ok(page.url().includes("/console/login"), `signed out: at ${page.url()}`);
}

// measure loads url in a new tab of the page's browser profile and prints
// its time to first render: first byte, first contentful paint (the first
// render), DOM ready and load, from the browser's navigation and paint
// timing. A new tab, because Chromium reports the paint entries of a tab's
// first document only.
async function measure(page, url, name) {
  const tab = await page.context().newPage();
  await tab.goto(url, { waitUntil: "load" });
  const t = await tab.evaluate(() => new Promise((resolve) => {
    const nav = performance.getEntriesByType("navigation")[0];
    const done = (fcp) => resolve({
      ttfb: nav.responseStart - nav.startTime,
      dcl: nav.domContentLoadedEventEnd - nav.startTime,
      load: nav.loadEventEnd - nav.startTime,
      fcp,
    });
    const seen = performance.getEntriesByName("first-contentful-paint")[0];
    if (seen) return done(seen.startTime);
    new PerformanceObserver((list) => {
      const e = list.getEntriesByName("first-contentful-paint")[0];
      if (e) done(e.startTime);
    }).observe({ type: "paint", buffered: true });
    setTimeout(() => done(null), 3000);
  }));
  await tab.close();
  const ms = (v) => (v == null ? "n/a" : `${Math.round(v)} ms`);
  console.log(`timing ${name}: first byte ${ms(t.ttfb)}, first contentful paint ${ms(t.fcp)}, DOM ready ${ms(t.dcl)}, loaded ${ms(t.load)}`);
}

// The reception step's complaint, for the dashboard step after it.
let lifecycleNumber = "";

const shot = (page, name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

await step("sign-in page, wrong password shows the bilingual error", async () => {
  const page = await newPage();
  const resp = await page.goto(`${base}/console/login`);
  assert.equal(resp.status(), 200);
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  await shot(page, "sign-in");
  await page.fill("#username", "liu_fang");
  await page.fill("#password", "not-the-password");
  const [answer] = await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  assert.equal(answer.status(), 401);
  assert.equal((await page.textContent("#login-error")).trim(), "用户名或密码错误。");
  await page.click("#lang-switch");
  assert.equal(await page.getAttribute("html", "lang"), "en");
  await page.fill("#username", "liu_fang");
  await page.fill("#password", "still-not-it");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  assert.equal((await page.textContent("#login-error")).trim(), "Wrong username or password.");
  assert.deepEqual(page.outside, []);
  await page.context().close();
});

await step("receptionist: sign in, home, sign out", async () => {
  const page = await newPage();
  await signIn(page, "liu_fang");
  await page.waitForSelector("#home-receptionist");
  await measure(page, `${base}/console/`, "home (receptionist)");
  await shot(page, "home-receptionist");
  await signOut(page);
  // Signed out, the console sends the browser back to sign in.
  await page.goto(`${base}/console/queue`);
  assert.ok(page.url().includes("/console/login"), `after sign-out: ${page.url()}`);
  await page.context().close();
});

await step("supervisor: home with KPIs, queue with filters and SLA", async () => {
  const page = await newPage();
  await signIn(page, "chen_jing");
  await page.waitForSelector("#home-supervisor .kpis");
  await measure(page, `${base}/console/`, "home (supervisor)");
  await shot(page, "home-supervisor");
  await measure(page, `${base}/console/queue`, "queue");
  await page.goto(`${base}/console/queue`);
  const row = page.locator(`tr[data-number="${caseNumber}"]`);
  assert.equal(await row.count(), 1, "the case is in the supervisor's queue");
  const state = await row.locator(".sla").getAttribute("data-sla");
  assert.ok(["ok", "warn", "breached"].includes(state), `SLA state ${state}`);
  await shot(page, "queue");
  // A filter the API applies: another department's cases only.
  await page.selectOption("select[name=department]", "finance");
  await Promise.all([page.waitForNavigation(), page.click(".filters button[type=submit]")]);
  assert.equal(await page.locator(`tr[data-number="${caseNumber}"]`).count(), 0, "filtered out by department");
  assert.deepEqual(page.outside, []);
  await page.context().close();
});

await step("handler: home queue, the script tag is text, acknowledge by keyboard, timeline changes", async () => {
  const page = await newPage();
  await signIn(page, "li_qiang");
  await page.waitForSelector("#home-handler");
  await measure(page, `${base}/console/`, "home (handler)");
  assert.equal(await page.locator(`#home-handler tr[data-number="${caseNumber}"]`).count(), 1, "the case is in the department's queue");
  await shot(page, "home-handler");
  await measure(page, `${base}/console/cases/${caseNumber}`, "case page");
  const resp = await page.goto(`${base}/console/cases/${caseNumber}`);
  assert.equal(resp.status(), 200);
  const description = await page.textContent("#case-description");
  assert.ok(description.includes("<script>alert(1)</script>"), `description shown as text: ${description}`);
  assert.equal(await page.locator("#case-description script").count(), 0, "no script element in the description");
  assert.deepEqual(page.dialogs, [], "no dialog fired");
  assert.ok(await page.getAttribute("#temporal-link", "href"), "a Web UI link");
  assert.equal(await page.locator('#timeline li[data-kind="acknowledged"]').count(), 0);
  await shot(page, "case");
  // Keyboard only: Tab from the top of the page to the acknowledge button,
  // then Enter.
  await page.focus("body");
  let reached = false;
  for (let i = 0; i < 80 && !reached; i++) {
    await page.keyboard.press("Tab");
    reached = await page.evaluate(() => document.activeElement && document.activeElement.id === "do-acknowledge");
  }
  assert.ok(reached, "Tab reaches the acknowledge button");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  await page.waitForSelector("#case-done");
  assert.equal(await page.locator('#timeline li[data-kind="acknowledged"]').count(), 1, "the timeline shows the acknowledgement");
  assert.equal((await page.textContent("#case-status")).trim(), "处理中");
  assert.equal(await page.locator("#do-acknowledge").count(), 0, "acknowledge is no longer offered");
  // Feedback through a form with a field, by keyboard as well.
  await page.focus('form[data-action="feedback"] textarea[name=message]');
  await page.keyboard.type("已安排维修人员今天下午上门。");
  await page.keyboard.press("Tab");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  assert.equal(await page.locator('#timeline li[data-kind="feedback"]').count(), 1, "the timeline shows the feedback");
  assert.deepEqual(page.dialogs, [], "no dialog fired");
  assert.deepEqual(page.outside, []);
  await page.context().close();
});

await step("switch the language to English and back", async () => {
  const page = await newPage();
  await signIn(page, "chen_jing");
  await page.goto(`${base}/console/cases/${caseNumber}`);
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  assert.equal((await page.textContent("#h-timeline")).trim(), "处理记录");
  await Promise.all([page.waitForNavigation(), page.click("#lang-switch")]);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal((await page.textContent("#h-timeline")).trim(), "Timeline");
  // The choice is kept: another page is in English too.
  await page.goto(`${base}/console/queue`);
  assert.equal((await page.textContent("h1")).trim(), "Case queue");
  await shot(page, "queue-en");
  await Promise.all([page.waitForNavigation(), page.click("#lang-switch")]);
  assert.equal((await page.textContent("h1")).trim(), "工单队列");
  await page.context().close();
});

await step("an out-of-scope member cannot see the case", async () => {
  const page = await newPage();
  await signIn(page, outsider);
  const resp = await page.goto(`${base}/console/cases/${caseNumber}`);
  assert.equal(resp.status(), 404);
  assert.ok((await page.textContent("#error-message")).includes("不在您的管辖范围内"));
  assert.equal(await page.locator("#case-description").count(), 0);
  await page.goto(`${base}/console/queue`);
  assert.equal(await page.locator(`tr[data-number="${caseNumber}"]`).count(), 0, "not in their queue");
  await page.context().close();
});

await step("reception: look up by phone, record a visit, a complaint from it pre-filled, handled, called back and closed; the KPI changes", async () => {
  // The supervisor's satisfaction figure before (every rating counts:
  // the visit's exit rating and the callback's).
  const sup = await newPage();
  await signIn(sup, "chen_jing");
  await sup.goto(`${base}/console/`);
  const kpi = 'li[data-kpi="kpi.satisfaction_rate"] .kpi-count';
  const before = (await sup.textContent(kpi)).trim();

  const rec = await newPage();
  await signIn(rec, "liu_fang");
  await Promise.all([rec.waitForNavigation(), rec.click("#nav-reception")]);
  // Keyboard first: the look-up box has the focus, Enter looks up.
  assert.equal(await rec.evaluate(() => document.activeElement && document.activeElement.id), "lookup-q");
  await rec.keyboard.type("+86 138-0013-0000");
  await Promise.all([rec.waitForNavigation(), rec.keyboard.press("Enter")]);
  await measure(rec, rec.url(), "reception look-up");
  const hh = rec.locator('section.household[data-community="A"][data-unit="1-101"]');
  assert.equal(await hh.count(), 1, "the household of 13800130000 is found");
  const residents = await hh.locator(".residents").textContent();
  assert.ok(residents.includes("王秀英") && residents.includes("138****0000"), `residents: ${residents}`);
  assert.ok(!residents.includes("13800130000"), "the residents' numbers are masked");
  // The number the receptionist typed pre-fills the visit, as its digits.
  assert.equal(await hh.locator("input[name=visitor_phone]").inputValue(), "13800130000");
  await shot(rec, "reception");

  // Record the call as a visit of the household.
  await hh.locator("select[name=purpose]").selectOption("complaint");
  await hh.locator("textarea[name=notes]").fill("来电反映卫生间漏水");
  await Promise.all([rec.waitForNavigation(), hh.locator("button[type=submit]").click()]);
  await rec.waitForSelector("#visit-done");
  const visitURL = rec.url().split("?")[0];
  assert.ok(/\/console\/visits\/\d+$/.test(visitURL), `visit page ${visitURL}`);
  assert.ok((await rec.textContent("#fees-total")).startsWith("¥"), "the unit's fees are itemised");
  await shot(rec, "visit");

  // A complaint from the visit, pre-filled.
  await Promise.all([rec.waitForNavigation(), rec.click("#open-complaint")]);
  assert.equal(await rec.inputValue("#nc-community"), "A");
  assert.equal(await rec.inputValue("#nc-unit"), "1-101");
  assert.equal(await rec.inputValue("#nc-name"), "王秀英");
  assert.equal(await rec.inputValue("#nc-channel"), "phone");
  assert.ok((await rec.textContent("#nc-phone-hint")).includes("138****0000"), "the visit's number, masked");
  await rec.selectOption("#nc-category", "leak");
  await rec.fill("#nc-description", "卫生间天花板漏水（来电登记）");
  await Promise.all([rec.waitForNavigation(), rec.click("#nc-submit")]);
  await rec.waitForSelector("#case-done");
  const number = (await rec.textContent("#case-number")).trim();
  console.log(`lifecycle case: ${number}`);
  lifecycleNumber = number;
  assert.equal((await rec.textContent("#case-status")).trim(), "已派单");

  // The visit links the case; the visitor rates the visit on leaving.
  await rec.goto(visitURL);
  assert.equal((await rec.textContent("#visit-case")).trim(), number);
  await rec.check('#exit-form input[name=score][value="5"]');
  await Promise.all([rec.waitForNavigation(), rec.click("#do-exit")]);
  assert.ok((await rec.textContent("#exit-score")).includes("5"), "the exit rating is shown");

  // The handler acknowledges, feeds back and resolves.
  const handler = await newPage();
  await signIn(handler, "li_qiang");
  await handler.goto(`${base}/console/cases/${number}`);
  await Promise.all([handler.waitForNavigation(), handler.click("#do-acknowledge")]);
  await handler.fill('form[data-action="feedback"] textarea[name=message]', "师傅今天下午上门查看。");
  await Promise.all([handler.waitForNavigation(), handler.click("#do-feedback")]);
  await handler.fill('form[data-action="resolve"] textarea[name=resolution]', "已更换破损水管，漏水已止。");
  await Promise.all([handler.waitForNavigation(), handler.click("#do-resolve")]);
  assert.equal((await handler.textContent("#case-status")).trim(), "已处理待回访");
  await handler.context().close();

  // The front desk calls back: reached, satisfied; the case closes.
  await rec.goto(`${base}/console/cases/${number}`);
  await rec.check('form[data-action="callback"] input[name=reached][value="true"]');
  await rec.fill('form[data-action="callback"] input[name=score]', "5");
  await Promise.all([rec.waitForNavigation(), rec.click("#do-callback")]);
  assert.equal((await rec.textContent("#case-status")).trim(), "已结案");
  assert.equal(await rec.locator('#timeline li[data-kind="closed"]').count(), 1);
  // The household now lists it among its past cases.
  await rec.goto(`${base}/console/reception?q=13800130000`);
  assert.equal(await rec.locator(`section.household[data-unit="1-101"] table.past tr[data-number="${number}"]`).count(), 1);

  // And the supervisor's figure has moved.
  await sup.reload();
  const after = (await sup.textContent(kpi)).trim();
  assert.notEqual(after, before, `satisfaction ${before} → ${after}`);
  console.log(`satisfaction (satisfied / rated): ${before} → ${after}`);
  assert.deepEqual(rec.outside, []);
  assert.deepEqual(rec.dialogs, []);
  await rec.context().close();
  await sup.context().close();
});

await step("reports: the dashboard shows the month's KPIs as the home page does, and a figure drills down to its cases", async () => {
  assert.ok(lifecycleNumber, "the reception step recorded a complaint");
  const page = await newPage();
  await signIn(page, "chen_jing");
  await page.goto(`${base}/console/`);
  const home = (await page.textContent('li[data-kpi="kpi.satisfaction_rate"] .kpi-count')).trim();
  await Promise.all([page.waitForNavigation(), page.click("#nav-reports")]);
  await page.waitForSelector("svg.trend");
  await measure(page, `${base}/console/reports`, "dashboard");
  // The month so far, every community the supervisor serves: the figure
  // the lifecycle step saw change.
  const dash = (await page.textContent('li[data-kpi="kpi.satisfaction_rate"] .kpi-count')).trim();
  assert.equal(dash, home, "the dashboard's satisfaction is the home page's");
  assert.ok(Number(dash.split("/")[0]) > 0, `satisfied ratings this month: ${dash}`);
  assert.ok(await page.locator("svg.trend title").count() >= 4, "a titled trend chart per KPI");
  await shot(page, "console-reports");
  // The month's complaints drill down to the queue, the lifecycle case in it.
  const count = Number(await page.getAttribute("#drill-complaints", "data-count"));
  assert.ok(count > 0, `complaints this month: ${count}`);
  await Promise.all([page.waitForNavigation(), page.click("#drill-complaints")]);
  assert.ok(page.url().includes("/console/queue?") && page.url().includes("from="), `drill-down at ${page.url()}`);
  assert.equal(await page.locator(`tr[data-number="${lifecycleNumber}"]`).count(), 1, "the lifecycle case is listed");
  assert.equal(await page.inputValue("input[name=from]"), new URL(page.url()).searchParams.get("from"), "the queue's form keeps the filter");
  assert.deepEqual(page.outside, []);
  await page.context().close();
});

await step("reception: a caller with no household is recorded too", async () => {
  const page = await newPage();
  await signIn(page, "liu_fang");
  await page.goto(`${base}/console/reception`);
  // The script focuses the look-up box once loaded: typing before that
  // would lose the first keys.
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === "lookup-q");
  await page.keyboard.type("13912345678");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  await page.waitForSelector("#lookup-none");
  const form = page.locator("#visit-nohousehold");
  assert.equal(await form.locator("input[name=visitor_phone]").inputValue(), "13912345678");
  await form.locator("input[name=visitor_name]").fill("路过的访客");
  await Promise.all([page.waitForNavigation(), page.click("#record-visit-other")]);
  await page.waitForSelector("#visit-done");
  assert.equal((await page.textContent("#visit-visitor")).trim(), "路过的访客");
  assert.equal(await page.locator("#open-complaint").count(), 0, "no case without a unit");
  await page.context().close();
});

await step("field view on a phone: accept, feed back and resolve with the large buttons", async () => {
  const page = await newPage({ width: 390, height: 844 });
  await signIn(page, "li_qiang");
  await Promise.all([page.waitForNavigation(), page.click("#nav-field")]);
  const card = () => page.locator(`article[data-number="${fieldCase}"]`);
  assert.equal(await card().getAttribute("data-status"), "routed");
  const width = await page.locator(`#field-acknowledge-${fieldCase}`).evaluate((el) => el.getBoundingClientRect().width);
  assert.ok(width > 250, `the accept button spans the card (${width} px)`);
  await shot(page, "field-phone");
  await Promise.all([page.waitForNavigation(), page.click(`#field-acknowledge-${fieldCase}`)]);
  await page.waitForSelector("#field-done");
  assert.equal(await card().getAttribute("data-status"), "in_progress");
  await card().locator('form[data-action="feedback"] textarea').fill("已到现场查看，正在维修。");
  await Promise.all([page.waitForNavigation(), page.click(`#field-feedback-${fieldCase}`)]);
  await card().locator('form[data-action="resolve"] textarea').fill("漏水已修好。");
  await Promise.all([page.waitForNavigation(), page.click(`#field-resolve-${fieldCase}`)]);
  // Resolved, it waits for the callback: no longer the department's to do.
  assert.equal(await card().count() === 0 || (await card().getAttribute("data-status")) === "resolved", true);
  assert.deepEqual(page.outside, []);
  await page.context().close();
});

await step("callback work: the script, an attempt with no answer, then reached and rated", async () => {
  const page = await newPage();
  await signIn(page, "liu_fang");
  await Promise.all([page.waitForNavigation(), page.click("#nav-callbacks")]);
  await page.goto(`${base}/console/callbacks?month=${callMonth}`);
  const task = page.locator(`article[data-task="${callTask}"]`);
  assert.equal(await task.getAttribute("data-status"), "open");
  const head = await task.locator("h3").textContent();
  assert.ok(head.includes("138****0005") && !head.includes("13800130005"), `masked number: ${head}`);
  assert.ok((await task.locator(".script").textContent()).includes("刘芳"), "the script names the caller");
  await shot(page, "callbacks");
  await Promise.all([page.waitForNavigation(), page.click(`#no_answer-${callTask}`)]);
  await page.waitForSelector("#callbacks-done");
  const again = page.locator(`article[data-task="${callTask}"]`);
  assert.equal(await again.getAttribute("data-status"), "unreached");
  assert.equal((await again.locator(".task-attempts").textContent()).trim(), "1");
  assert.equal((await again.locator(".task-comment").textContent()).trim(), "无人接听");
  await again.locator('input[name=score][value="4"]').check();
  await Promise.all([page.waitForNavigation(), page.click(`#reached-${callTask}`)]);
  const done = page.locator(`article[data-task="${callTask}"]`);
  assert.equal(await done.getAttribute("data-status"), "reached");
  assert.equal((await done.locator(".task-attempts").textContent()).trim(), "2");
  assert.deepEqual(page.outside, []);
  await page.context().close();
});

await step("training: the trainer opens liu_fang's sitting, she answers in the browser and passes", async () => {
  const page = await newPage();
  await signIn(page, "chen_jing");
  await Promise.all([page.waitForNavigation(), page.click("#nav-training")]);
  await Promise.all([page.waitForNavigation(), page.click(`tr[data-cycle="${cycle}"] a`)]);
  assert.equal((await page.textContent("#cycle-id")).trim(), cycle);
  assert.equal(await page.getAttribute('tr[data-staff="liu_fang"]', "data-result"), "not_sat");
  // No one sits their own exam through a trainer's screen.
  assert.equal(await page.locator("#sit-chen_jing").count(), 0);
  await Promise.all([page.waitForNavigation(), page.click("#sit-liu_fang")]);
  const questions = page.locator("li.question");
  const n = await questions.count();
  assert.equal(n, Object.keys(examAnswers).length, "every question of the exam is shown");
  for (const [id, choice] of Object.entries(examAnswers)) {
    await page.check(`li.question[data-question="${id}"] input[value="${choice}"]`);
  }
  await shot(page, "exam");
  await Promise.all([page.waitForNavigation(), page.click("#exam-submit")]);
  assert.equal((await page.textContent("#exam-score")).trim(), "100");
  assert.equal((await page.textContent("#exam-outcome")).trim(), "通过");
  assert.equal(await page.getAttribute('tr[data-staff="liu_fang"]', "data-result"), "passed");
  assert.equal(await page.locator("#sit-liu_fang").count(), 0, "a member who passed sits no more");
  await shot(page, "training-results");
  assert.deepEqual(page.outside, []);
  await page.context().close();
});

await step("email triage: the body is text, the email opens as a complaint by keyboard", async () => {
  const page = await newPage();
  await signIn(page, "liu_fang");
  await Promise.all([page.waitForNavigation(), page.click("#nav-emails")]);
  const mail = page.locator(`#email-${email}`);
  assert.ok((await mail.locator(".email-body").textContent()).includes('<script>alert("mail")</script>'), "the body shows as text");
  await page.selectOption(`#community-${email}`, "A");
  await page.selectOption(`#category-${email}`, "elevator");
  await page.fill(`#unit-${email}`, "3-101");
  await shot(page, "console-emails");
  // Enter in the unit's field submits the form: no mouse needed.
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  await page.waitForSelector("#case-done");
  const number = (await page.textContent("#case-number")).trim();
  assert.ok(number.startsWith("TS"), `a complaint's page after the triage: ${number}`);
  console.log(`triage case: ${number}`);
  await page.goto(`${base}/console/emails`);
  assert.equal(await page.locator(`#email-${email}`).count(), 0, "the opened email left the queue");
  assert.deepEqual(page.dialogs, [], "no script ran");
  assert.deepEqual(page.outside, []);
  await page.context().close();
});

await step("fee standards editor: a bad rate is said and kept, then the standard is added", async () => {
  const page = await newPage();
  await signIn(page, "gao_feng");
  await Promise.all([page.waitForNavigation(), page.click("#nav-settings")]);
  await Promise.all([page.waitForNavigation(), page.click("#go-fees")]);
  await page.goto(`${base}/console/fees/${feeCommunity}`);
  await page.fill("#fee-item", "management");
  await page.fill("#fee-name", "物业服务费");
  await page.fill("#fee-name-en", "Property management fee");
  await page.selectOption("#fee-basis", "area");
  await page.fill("#fee-from", "2026-01-01");
  await page.fill("#fee-rate", "2,80");
  await Promise.all([page.waitForNavigation(), page.press("#fee-rate", "Enter")]);
  await page.waitForSelector("#editor-error");
  assert.equal(await page.inputValue("#fee-rate"), "2,80", "the input is kept");
  await page.fill("#fee-rate", "2.80");
  await Promise.all([page.waitForNavigation(), page.press("#fee-rate", "Enter")]);
  await page.waitForSelector("#editor-done");
  const row = page.locator("#fee-standards tbody tr").first();
  assert.ok((await row.textContent()).includes("2.80"), `the new standard: ${await row.textContent()}`);
  await shot(page, "console-fees");
  assert.deepEqual(page.outside, []);
  await page.context().close();
});

await step("phone width: the queue's rows become labelled cards", async () => {
  const page = await newPage({ width: 390, height: 844 });
  await signIn(page, "chen_jing");
  await page.goto(`${base}/console/queue`);
  const display = await page.locator(`tr[data-number="${caseNumber}"]`).evaluate((el) => getComputedStyle(el).display);
  assert.equal(display, "block");
  await shot(page, "queue-phone");
  await page.context().close();
});

await browser.close();
if (failures > 0) {
  console.log(`${failures} step(s) failed`);
  process.exit(1);
}
console.log("all console browser tests passed");
