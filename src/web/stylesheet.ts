/**
 * The one stylesheet (served as /_assets/terrace.css): system fonts, a readable column, AA contrast, a
 * visible focus ring, and the ANSI classes of ansi.ts in the log panes.
 */
export const STYLESHEET = `
:root{--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--bg:#fff;--accent:#0a58ca;--ok:#116329;--bad:#b42318;--wait:#7a4d00;--busy:#0a58ca}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.top{display:flex;justify-content:space-between;align-items:center;padding:.5rem 1.5rem;background:#24292f;color:#fff}
.top .brand{color:#fff;font-weight:700;text-decoration:none;font-size:1.1rem}
.sign-out{display:flex;gap:.75rem;align-items:center}
main{max-width:72rem;margin:0 auto;padding:1rem 1.5rem 3rem}
.crumbs a:not(:last-child)::after{content:" /";color:var(--muted)}
.crumbs a{margin-right:.3rem}
h1{margin:.5rem 0 1rem;font-size:1.6rem;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted)}
.muted{color:var(--muted);margin-left:.5rem}
.error{color:var(--bad)}
label{display:block;font-weight:600;margin-top:.75rem}
input[type=text],input[type=password],input[type=search]{padding:.45rem;border:1px solid #8c959f;border-radius:4px;font:inherit}
.stacked input{width:100%}
.narrow{max-width:24rem}
button{font:inherit;padding:.4rem .9rem;border:1px solid #8c959f;border-radius:4px;background:#f6f8fa;color:var(--fg);cursor:pointer;margin-top:.75rem}
button.primary{background:#1f883d;border-color:#1a7f37;color:#fff}
.top button{margin:0;padding:.2rem .6rem}
.search{display:flex;gap:.5rem;align-items:end;margin-bottom:1rem}
.search label{margin:0 0 .4rem}
.search button{margin:0}
.cards{list-style:none;padding:0}
.cards li{padding:.6rem 0;border-bottom:1px solid var(--line)}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1.5rem}
.facts dt{color:var(--muted);font-weight:600}
.facts dd{margin:0}
.actions{display:flex;gap:.75rem}
.badge{display:inline-block;padding:0 .5rem;border-radius:1rem;font-size:.85rem;border:1px solid currentColor}
.badge-done{color:var(--ok)}.badge-failed{color:var(--bad)}.badge-waiting{color:var(--wait)}.badge-busy{color:var(--busy)}.badge-idle{color:var(--muted)}
.counts .add{color:var(--ok)}.counts .change{color:var(--wait)}.counts .destroy{color:var(--bad)}
.pagination{display:flex;gap:1rem;margin-top:1rem;color:var(--muted)}
.log{background:#0d1117;color:#e6edf3;padding:1rem;border-radius:6px;overflow:auto;max-height:32rem;min-height:3rem;font:13px/1.45 ui-monospace,monospace;white-space:pre-wrap}
.ansi-bold{font-weight:700}.ansi-underline{text-decoration:underline}
.ansi-fg-black{color:#8b949e}.ansi-fg-red{color:#ff7b72}.ansi-fg-green{color:#3fb950}.ansi-fg-yellow{color:#d29922}
.ansi-fg-blue{color:#58a6ff}.ansi-fg-magenta{color:#bc8cff}.ansi-fg-cyan{color:#39c5cf}.ansi-fg-white{color:#e6edf3}
.ansi-fg-bright-black{color:#8b949e}.ansi-fg-bright-red{color:#ffa198}.ansi-fg-bright-green{color:#56d364}.ansi-fg-bright-yellow{color:#e3b341}
.ansi-fg-bright-blue{color:#79c0ff}.ansi-fg-bright-magenta{color:#d2a8ff}.ansi-fg-bright-cyan{color:#56d4dd}.ansi-fg-bright-white{color:#fff}
.ansi-bg-red{background:#8e1519}.ansi-bg-green{background:#0f5323}.ansi-bg-yellow{background:#693e00}.ansi-bg-blue{background:#0c2d6b}
.tabs{display:flex;flex-wrap:wrap;gap:1rem;border-bottom:1px solid var(--line);margin-bottom:1rem;padding-bottom:.4rem}
.tabs a{text-decoration:none}.tabs a[aria-current=page]{font-weight:700;text-decoration:underline}
.top .account{color:#fff}
input[type=email],input[type=date],select{padding:.45rem;border:1px solid #8c959f;border-radius:4px;font:inherit}
form.inline{display:inline-block;margin-left:.75rem}form.inline button{margin:0}
.check{display:flex;gap:.5rem;align-items:center}.check label{margin:0;font-weight:400}
fieldset{border:0;padding:0;margin:0}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.new-token{border:1px solid var(--ok);border-radius:6px;padding:.75rem;margin-bottom:1rem}.new-token input{width:100%;font-family:ui-monospace,monospace}
.filters{display:flex;gap:1rem;color:var(--muted)}
.tags .tag{display:inline-block;margin:0 .3rem .2rem 0;padding:0 .4rem;border:1px solid var(--line);border-radius:4px;font-size:.85rem;text-decoration:none}
a.button{display:inline-block;font:inherit;padding:.4rem .9rem;border:1px solid #8c959f;border-radius:4px;background:#f6f8fa;color:var(--fg);text-decoration:none;margin-top:.75rem}
a.button.danger{background:#fff;border-color:var(--bad);color:var(--bad)}
.timeline{list-style:none;padding:0;margin:0}
.timeline li{padding:.2rem 0}
.timeline time{color:var(--muted);font-variant-numeric:tabular-nums}
.change-group h3{font-size:1rem;margin:.75rem 0 .25rem}
.change-create h3{color:var(--ok)}.change-update h3,.change-replace h3{color:var(--wait)}.change-delete h3{color:var(--bad)}
.addresses{margin:0;padding-left:1.25rem}
.muted-block{color:var(--muted)}
.stage{margin-bottom:1.5rem}
.override input{width:100%;max-width:32rem}
`;

/** The workspace settings pages (workspace-settings-pages.tsx): tabs, form controls, inline errors. */
export const SETTINGS_STYLESHEET = `
.tabs{display:flex;flex-wrap:wrap;gap:.25rem 1rem;border-bottom:1px solid var(--line);margin-bottom:1rem;padding-bottom:.4rem}
.tabs a[aria-current=page]{font-weight:700;color:var(--fg);text-decoration:none}
textarea,select{padding:.45rem;border:1px solid #8c959f;border-radius:4px;font:inherit}
textarea{width:100%;min-height:4rem}
label.check{display:flex;gap:.4rem;align-items:center;font-weight:400}
.stacked input[type=checkbox]{width:auto}
.hint{color:var(--muted);font-size:.9rem;margin:.2rem 0 0}
.form-error{color:var(--bad);border:1px solid var(--bad);border-radius:4px;padding:.5rem .75rem}
button.danger{background:#fff;border-color:var(--bad);color:var(--bad)}
td form{display:inline}
td button{margin:0}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
`;
