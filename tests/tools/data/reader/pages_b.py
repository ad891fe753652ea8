"""Reader test pages, part two: science news, briefs, tech posts, reviews, notices."""

# ruff: noqa: E501

MEGA_FOOTER = """
<footer class="global-footer">
  <div class="col"><h4>Sections</h4><ul><li><a href="/world">World</a></li><li><a href="/science">Science</a></li><li><a href="/health">Health</a></li><li><a href="/technology">Technology</a></li><li><a href="/climate">Climate</a></li><li><a href="/culture">Culture</a></li></ul></div>
  <div class="col"><h4>Company</h4><ul><li><a href="/about">About us</a></li><li><a href="/ethics">Ethics policy</a></li><li><a href="/corrections">Corrections</a></li><li><a href="/jobs">Jobs</a></li></ul></div>
  <div class="col"><h4>Follow us</h4><ul><li><a href="#">Newsletter</a></li><li><a href="#">Podcasts</a></li><li><a href="#">RSS feeds</a></li></ul></div>
  <p class="legal">Copyright © 2024 Meridian Media Group. Use of this site constitutes acceptance of our User Agreement and Privacy Policy and Cookie Statement. Our material may not be reproduced, distributed, transmitted or otherwise used without prior written permission.</p>
</footer>"""

PAGES = [
    {
        "id": "science-bee-navigation",
        "url": "https://www.meridian-report.example/science/2024/04/bumblebees-remember-routes",
        "html": """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Bumblebees plan their flower routes like delivery drivers, study finds - Meridian Report</title>
<meta property="article:author" content="Keisha Morgan"><meta property="article:published_time" content="2024-04-22T14:00:00Z"></head>
<body>
<div class="skip"><a href="#main">Skip to main content</a></div>
<header><nav class="sections"><a href="/">Meridian Report</a> <a href="/world">World</a> <a href="/science">Science</a> <a href="/health">Health</a> <a href="/technology">Technology</a> <a href="/climate">Climate</a> <a href="/newsletters">Newsletters</a> <a href="/login">Log in</a></nav></header>
<main id="main">
<div class="article-container">
<div class="kicker"><a href="/science/animals">Animal behaviour</a></div>
<h1>Bumblebees plan their flower routes like delivery drivers, study finds</h1>
<div class="meta"><span class="author">By Keisha Morgan</span> <span class="date">April 22, 2024</span> <span class="read-time">5 min read</span></div>
<div class="article-body">
<div class="key-points"><h2 data-gt>Key points</h2><ul>
<li data-gt>Bumblebees learned near-shortest routes between artificial flowers within a few dozen foraging trips.</li>
<li data-gt>When a flower was moved, the bees adjusted the whole route rather than just adding a detour.</li>
<li data-gt>The findings may help explain how bees save energy in changing landscapes.</li>
</ul></div>
<p data-gt>Bumblebees that visit the same patch of flowers day after day gradually work out a short route that links all of them, much as a delivery driver learns the most efficient order of stops, according to a study published on Monday.</p>
<p data-gt>Researchers tracked individual bees with small radar tags as they foraged among ten artificial flowers spread across a field. At first the insects flew erratic paths, doubling back and revisiting empty flowers. Within roughly thirty trips, most had settled on a route close to the shortest possible one.</p>
<figure><img src="/media/bee-radar.jpg" alt=""><figcaption>A bumblebee fitted with a radar transponder weighing less than a grain of rice. Credit: University field team</figcaption></figure>
<p data-gt>"What surprised us was how flexible the bees were," said the study's lead author, behavioural ecologist Anouk de Vries. "When we moved one flower, they did not just bolt a detour onto their old route. Within a few trips they had reorganised the entire sequence."</p>
<aside class="inline-promo"><a href="/newsletters/science"><strong>Sign up for our Science newsletter</strong> — the week's discoveries, explained, every Thursday.</a></aside>
<p data-gt>Finding the shortest route through many points is a famously hard problem for computers, which must compare a rapidly growing number of possible orders. Bees appear to use a simpler strategy: they repeat routes that worked, make small changes and keep the changes that shorten the trip.</p>
<p data-gt>The team says this trial-and-error approach is unlikely to find the perfect route every time, but it is good enough to save a substantial amount of flight energy. In their experiments, experienced bees flew about 40 percent less distance per trip than they had on their first visits.</p>
<p data-gt>Other scientists cautioned that artificial flowers in an open field are much simpler than a real meadow, where flowers refill with nectar at different rates and other bees compete for the same resources. The authors plan to repeat the experiment in a mixed wildflower plot next summer.</p>
</div>
<div class="article-tools"><button>Save</button> <button>Share</button> <button>Gift this article</button></div>
</div>
<section class="comments"><h2>Reader comments (4)</h2>
<div class="c"><b>GardenerJo</b><p>We have a lavender hedge that the bumblebees work along in exactly the same order every morning, starting at the end nearest the apple tree. I always assumed it was coincidence, but after reading this I am going to start taking notes and see whether the order changes when the lavender on the shady side comes into flower later in the season.</p></div>
<div class="c"><b>R. Okafor</b><p>Interesting, but I would like to know how many bees never settled on a good route at all. The article says "most", which could hide quite a lot of variation between individuals.</p></div>
<div class="c"><b>beekeeper_dan</b><p>Honeybees do something similar but they also share routes through the waggle dance, so the colony learns as a whole rather than each bee on its own.</p></div>
<div class="c"><b>Margaret L</b><p>Lovely piece. More of this please, less politics.</p></div>
</section>
<section class="recirc"><h2>Most read in Science</h2><ol><li><a href="#">A comet will be visible with the naked eye this autumn, astronomers say</a></li><li><a href="#">Deep-sea survey finds dozens of species new to science off the coast of Chile</a></li><li><a href="#">Why your sense of smell fades with age, and what may slow it down</a></li></ol></section>
</main>
"""
        + MEGA_FOOTER
        + """
</body></html>""",
    },
    {
        "id": "brief-water-main",
        "url": "https://www.meridian-report.example/us/2024/01/water-main-break-downtown",
        "html": """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Water main break closes downtown streets - Meridian Report</title></head>
<body>
<header><nav class="sections"><a href="/">Meridian Report</a> <a href="/us">U.S.</a> <a href="/world">World</a> <a href="/politics">Politics</a> <a href="/business">Business</a> <a href="/science">Science</a> <a href="/sports">Sports</a> <a href="/newsletters">Newsletters</a> <a href="/login">Log in</a></nav>
<div class="mega-menu"><div><h5>U.S.</h5><a href="#">Crime and justice</a> <a href="#">Education</a> <a href="#">Immigration</a> <a href="#">Weather</a> <a href="#">Transportation and infrastructure news from every state</a></div>
<div><h5>Business</h5><a href="#">Markets</a> <a href="#">Tech</a> <a href="#">Media</a> <a href="#">Personal finance and retirement planning</a></div></div></header>
<div class="trending"><span>Trending:</span> <a href="#">Election results live: follow the count in every county as polls close across the state</a> · <a href="#">Winter storm warning issued for the northern plains with up to two feet of snow expected</a> · <a href="#">Stock markets close at record highs after strong jobs report</a></div>
<main>
<article>
<h1>Water main break closes downtown streets</h1>
<p class="byline">By Staff Reports · January 9, 2024 at 8:05 a.m.</p>
<div class="body">
<p data-gt>A 24-inch water main broke early Tuesday beneath Grant Avenue, flooding two downtown blocks and forcing the closure of several streets during the morning commute.</p>
<p data-gt>Crews shut off the line around 6:30 a.m., a spokesperson for the water department said. About 300 customers were without water, and a boil-water notice was issued for buildings between 3rd and 6th streets as a precaution.</p>
<p data-gt>Repairs are expected to take at least two days. Drivers should avoid Grant Avenue and use Lincoln Boulevard instead.</p>
</div>
<div class="ad-container"><div class="ad-label">Advertisement</div><iframe src="about:blank" title="ad"></iframe></div>
</article>
<section class="newsletter-box"><h3>The Morning Briefing</h3><p>Start your day with the most important stories, curated by our editors and delivered to your inbox every weekday morning before 6 a.m. It's free, and you can unsubscribe at any time.</p><form><input type="email"><button>Subscribe</button></form></section>
<section class="more"><h3>More stories</h3>
<div class="teaser"><a href="#"><h4>City unveils plan to replace lead service lines by 2030</h4><p>The $180 million program would replace roughly 22,000 pipes, starting with neighborhoods that have the most young children.</p></a></div>
<div class="teaser"><a href="#"><h4>Transit agency adds late-night bus service on three routes</h4><p>Riders who work evening shifts have pushed for the change for years; the pilot will run through the end of June.</p></a></div>
<div class="teaser"><a href="#"><h4>Downtown parking rates to rise in March</h4><p>Meter prices will increase by 50 cents an hour in the core business district, the first increase since 2016.</p></a></div>
</section>
</main>
"""
        + MEGA_FOOTER
        + """
</body></html>""",
    },
    {
        "id": "tech-blog-sqlite-wal",
        "url": "https://notes.vmarin.example/posts/sqlite-wal-checkpoints/",
        "html": """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width">
<title>What I learned about SQLite WAL checkpoints | vmarin's notes</title>
<meta name="author" content="Vera Marin">
</head>
<body>
<header class="site"><a href="/" class="home">vmarin's notes</a><nav><a href="/posts/">Posts</a> <a href="/til/">TIL</a> <a href="/about/">About</a> <a href="/index.xml">RSS</a></nav></header>
<main>
<article class="post">
<h1 class="post-title">What I learned about SQLite WAL checkpoints</h1>
<p class="post-meta"><time datetime="2024-03-17">17 March 2024</time> · 6 minute read · <a href="/tags/sqlite/">#sqlite</a> <a href="/tags/databases/">#databases</a></p>
<div class="toc"><details><summary>Contents</summary><ol><li><a href="#why">Why the file kept growing</a></li><li><a href="#modes">Checkpoint modes</a></li><li><a href="#fix">The fix</a></li></ol></details></div>
<p data-gt>Last month a small service of mine started running out of disk space. The database itself was only about 200 megabytes, but next to it sat a write-ahead log that had grown past eleven gigabytes. This post is what I found out while fixing it.</p>
<h2 id="why" data-gt>Why the file kept growing</h2>
<p data-gt>In WAL mode, SQLite appends changes to a separate log file instead of rewriting pages of the main database. Periodically a checkpoint copies those pages back and lets the log be reused from the start. By default this happens automatically once the log reaches 1000 pages.</p>
<p data-gt>The catch is that a checkpoint cannot reset the log while any reader is still using an older snapshot. My service had a background job that opened a read transaction and then kept it open for hours while it streamed rows to another system. As long as that transaction lived, every checkpoint stopped part of the way through and the log just kept growing.<sup><a href="#fn1" id="ref1">1</a></sup></p>
<h2 id="modes" data-gt>Checkpoint modes</h2>
<p data-gt>You can also run a checkpoint yourself with a pragma. There are four modes, and they differ in how hard they try:</p>
<table>
<tr data-gt><th>Mode</th><th>Waits for readers?</th><th>Resets the log?</th></tr>
<tr data-gt><td>PASSIVE</td><td>No</td><td>No</td></tr>
<tr data-gt><td>FULL</td><td>Waits for writers</td><td>No</td></tr>
<tr data-gt><td>RESTART</td><td>Yes</td><td>Yes</td></tr>
<tr data-gt><td>TRUNCATE</td><td>Yes</td><td>Yes, and truncates the file</td></tr>
</table>
<h2 id="fix" data-gt>The fix</h2>
<p data-gt>The real fix was to stop holding the read transaction open. The export job now reads in batches of a few thousand rows, each in its own short transaction, keyed on the last id it has seen:</p>
<pre data-gt><code>rows = db.execute(
    "SELECT id, payload FROM events WHERE id > ? ORDER BY id LIMIT 5000",
    (last_id,),
).fetchall()</code></pre>
<p data-gt>I also added a nightly TRUNCATE checkpoint, mostly as a safety net. Since the change, the log has not grown past a few megabytes.</p>
<div class="footnotes"><hr><ol><li id="fn1">The documentation describes this as checkpoint starvation. <a href="#ref1">↩</a></li></ol></div>
</article>
<nav class="post-nav"><a href="/posts/rust-error-handling/">← Error handling in a small Rust CLI</a> <a href="/posts/home-network/">Rebuilding my home network →</a></nav>
<section class="webmentions"><h3>Webmentions</h3><p>14 likes, 3 reposts</p></section>
</main>
<footer class="site"><p>© 2024 Vera Marin · Content licensed under CC BY 4.0 · <a href="/colophon/">Colophon</a></p></footer>
</body>
</html>""",
    },
    {
        "id": "fr-bibliotheque-no-charset",
        "url": "https://www.journal-du-vallon.example/culture/la-mediatheque-rouvre-ses-portes",
        "encoding": "cp1252",
        "html": """<html>
<head>
<title>La médiathèque rouvre ses portes après deux ans de travaux</title>
</head>
<body>
<div id="bandeau"><a href="/">Le Journal du Vallon</a> — <a href="/actualite">Actualité</a> · <a href="/culture">Culture</a> · <a href="/sport">Sport</a> · <a href="/agenda">Agenda</a> · <a href="/annonces">Petites annonces</a></div>
<div id="colonne-centrale">
<h1>La médiathèque rouvre ses portes après deux ans de travaux</h1>
<div class="signature">Par Élodie Ferrand — publié le 4 septembre 2023 à 18 h 02</div>
<div class="corps">
<p class="chapo" data-gt>Agrandie, rénovée et désormais ouverte le dimanche, la médiathèque Jean-Giono accueille de nouveau le public depuis samedi. Plus de 1 200 visiteurs s'y sont pressés dès le premier week-end.</p>
<p data-gt>Les travaux, d'un montant de 4,6 millions d'euros, ont permis de doubler la surface consacrée à la jeunesse et de créer une salle de travail silencieuse de quarante places, très attendue par les lycéens et les étudiants.</p>
<p data-gt>« Nous voulions un lieu où l'on a envie de rester, pas seulement d'emprunter un livre », explique la directrice, Françoise Aubert. Les horaires ont été élargis : la médiathèque est désormais ouverte du mardi au dimanche, avec une nocturne le jeudi jusqu'à 21 heures.</p>
<p data-gt>Le fonds compte près de 60 000 documents, dont un nouvel espace consacré aux jeux de société et une grainothèque où chacun peut déposer ou prendre des semences. L'inscription reste gratuite pour les habitants de la commune.</p>
<p data-gt>Une exposition de photographies sur l'histoire du bâtiment, ancienne halle aux grains construite en 1887, est présentée dans le hall jusqu'à la fin du mois d'octobre.</p>
</div>
<div class="a-lire">À lire aussi : <a href="#">Le festival de musique de chambre affiche complet</a> | <a href="#">Rentrée scolaire : trois nouvelles classes ouvertes</a></div>
</div>
<div id="colonne-droite"><h3>Les plus lus</h3><ul><li><a href="#">Travaux sur la départementale : les déviations à connaître</a></li><li><a href="#">Marché de Noël : les inscriptions sont ouvertes</a></li></ul><div class="pub">Publicité</div></div>
<div id="pied">© Le Journal du Vallon — Mentions légales — Contact — Plan du site</div>
</body>
</html>""",
    },
    {
        "id": "news-bridge-correction",
        "url": "https://www.coastalpost.example/2024/06/02/ferry-bridge-inspection-results/",
        "html": """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Inspection finds Ferry Point bridge safe but in need of $12 million in repairs — Coastal Post</title>
<meta name="twitter:card" content="summary_large_image">
<meta name="author" content="Marcus Bell">
</head>
<body>
<div class="paywall-prompt">Subscribers get unlimited access. <a href="/subscribe">Subscribe now</a> | Already a subscriber? <a href="/login">Log in</a></div>
<div class="header"><div class="brand"><a href="/">Coastal Post</a></div><div class="menu"><a href="/news">News</a> <a href="/sports">Sports</a> <a href="/business">Business</a> <a href="/opinion">Opinion</a> <a href="/life">Life</a> <a href="/eedition">e-Edition</a> <a href="/classifieds">Classifieds</a></div></div>
<div class="layout">
<div class="main-column">
<div class="headline-block"><h1>Inspection finds Ferry Point bridge safe but in need of $12 million in repairs</h1><p class="dek">The 1962 span will stay open to traffic, with weight limits for trucks starting July 1.</p>
<div class="credit">Marcus Bell, Coastal Post · Published June 2, 2024</div></div>
<div class="text-block">
<p data-gt>The Ferry Point bridge is structurally sound but needs about $12 million in repairs over the next five years, according to an inspection report released Friday by the county public works department.</p>
<p data-gt>The report found corrosion on several steel bearings and cracking in the concrete deck near the east abutment. None of the problems pose an immediate danger, inspectors wrote, but they recommended lowering the weight limit for heavy trucks until the bearings are replaced.</p>
</div>
<div class="inline-newsletter"><p><b>Get the Coastal Post Daily</b></p><p>Local news, sports and weather, delivered to your inbox every morning.</p><input type="email" placeholder="you@example.com"><button>Sign up</button></div>
<div class="text-block">
<p data-gt>Starting July 1, trucks heavier than 30 tons will have to use the Route 9 crossing, a detour of about eleven miles. County engineer Patricia Nunez said the limit would likely stay in place for at least eighteen months.</p>
<div class="related-inline"><p><strong>RELATED:</strong></p><ul><li><a href="#">County approves budget with record road spending</a></li><li><a href="#">What to know about summer road construction in the county</a></li></ul></div>
<p data-gt>Local business owners said the restriction could raise delivery costs. "Every extra mile is fuel and driver time," said Ray Castellano, who runs a building supply yard on the east side of the bridge. "We'll manage, but somebody is going to pay for it, and it will probably be our customers."</p>
<p data-gt>The county plans to apply for federal bridge repair funding this fall. If the application succeeds, work on the bearings could begin in the spring of 2025.</p>
<p data-gt><em>Correction: An earlier version of this article misstated the year the bridge opened. It opened in 1962, not 1965.</em></p>
</div>
<div class="author-box"><img src="/staff/mbell.jpg" alt=""><div><b>Marcus Bell</b><p>Marcus Bell covers transportation and county government. He joined the Coastal Post in 2019 after six years at a newspaper in the state capital.</p><a href="/staff/marcus-bell">More stories by Marcus Bell</a></div></div>
<div class="share-bar"><a href="#">Share on Facebook</a> <a href="#">Share on X</a> <a href="#">Email this article</a></div>
</div>
<div class="right-rail"><div class="ad">Advertisement</div><h3>Latest News</h3><ul><li><a href="#">High school graduation schedule announced for all county schools</a></li><li><a href="#">Beach water quality advisory lifted at three sites</a></li><li><a href="#">Police seek witnesses after overnight break-in at marina</a></li></ul></div>
</div>
<div class="footer">Coastal Post · 400 Harbor Road · <a href="#">Contact us</a> · <a href="#">Terms</a> · <a href="#">Privacy</a> · © 2024 Coastal Post Media</div>
</body>
</html>""",
    },
    {
        "id": "review-espresso-grinder",
        "url": "https://www.kitchen-bench-tests.example/reviews/brennan-k6-grinder-review",
        "html": """<!DOCTYPE html>
<html lang="en-GB">
<head><meta charset="utf-8"><title>Brennan K6 grinder review: consistent, quiet and a little fussy | Kitchen Bench Tests</title></head>
<body>
<div id="consent-banner"><p>Kitchen Bench Tests and our partners store and access information on your device, such as cookies, to deliver and measure ads and content, to understand audiences and to develop services. With your permission we may use precise geolocation data. You may click to consent to processing as described above or access more detailed information and change your preferences before consenting or to refuse consenting.</p><button>I accept</button><button>Show purposes</button></div>
<header><a href="/" class="logo">Kitchen Bench Tests</a><nav><a href="/reviews">Reviews</a> <a href="/best">Best buys</a> <a href="/deals">Deals</a> <a href="/how-to">How to</a></nav></header>
<div class="page">
<article class="review">
<h1>Brennan K6 grinder review: consistent, quiet and a little fussy</h1>
<div class="review-meta">By <a href="/authors/sophie-adeyemi">Sophie Adeyemi</a> · last updated 11 February 2024</div>
<div class="affiliate-note">When you purchase through links on our site, we may earn an affiliate commission. Here's how it works.</div>
<div class="verdict-box"><div class="score">4/5</div><p class="verdict" data-gt>Verdict: the K6 grinds more evenly than anything else we have tested at its price, but the dosing cup and slow adjustment make it better suited to people who brew the same way every day.</p></div>
<div class="review-body">
<h2 data-gt>Design and setup</h2>
<p data-gt>The K6 is a compact conical burr grinder with a brushed aluminium body and a small hopper that holds about 150 grams of beans. It takes up roughly the same space on the counter as a kettle, and at a little under four kilograms it does not move about when it is running.</p>
<p data-gt>Grind size is set with a stepless collar marked from 1 to 60. Because the collar is stepless, you can make very small changes, which matters for espresso, but it takes about a full turn to move from espresso to filter coffee.</p>
<h2 data-gt>Performance</h2>
<p data-gt>In our sieve tests the K6 produced the most uniform grounds of any grinder under 300 pounds, with noticeably fewer fines at filter settings. Espresso shots were consistent from one day to the next once we had found the right setting, with shot times varying by only a couple of seconds.</p>
<p data-gt>It is also quiet: we measured 71 decibels at one metre, compared with more than 80 for most blade grinders. Retention was low at around 0.3 grams, although a few taps on the chute were needed to get it there.</p>
<h2 data-gt>Should you buy it?</h2>
<ul class="pros">
<li data-gt>Excellent grind consistency for the price</li>
<li data-gt>Quiet and stable on the counter</li>
</ul>
<ul class="cons">
<li data-gt>Dosing cup is awkward with small portafilters</li>
<li data-gt>Switching between espresso and filter is slow</li>
</ul>
<p data-gt>If you mostly make one kind of coffee and want the best possible grind without spending a fortune, the K6 is easy to recommend.</p>
</div>
<table class="specs"><caption>Specifications</caption><tr><td>Burrs</td><td>48 mm conical steel</td></tr><tr><td>Hopper</td><td>150 g</td></tr><tr><td>Weight</td><td>3.8 kg</td></tr></table>
<div class="price-widget"><h3>Today's best deals</h3><ul><li>Retailer A — £249 <a href="#">View deal</a></li><li>Retailer B — £259 <a href="#">View deal</a></li><li>Retailer C — £265 <a href="#">View deal</a></li></ul><p>We check over 250 million products every day for the best prices</p></div>
</article>
<aside class="also-consider"><h3>Also consider</h3><div class="mini"><h4>Halden Flat 54</h4><p>Flat burrs and single dosing for espresso enthusiasts who want even more control.</p></div><div class="mini"><h4>Arlo Basic</h4><p>A cheaper option for filter coffee that still beats any blade grinder.</p></div></aside>
</div>
<footer><p>Kitchen Bench Tests is part of a global media group and leading digital publisher. © 2024. All rights reserved. Registered in England and Wales.</p><a href="#">Terms</a> <a href="#">Privacy</a> <a href="#">Cookies policy</a></footer>
</body>
</html>""",
    },
    {
        "id": "opinion-four-day-week",
        "url": "https://www.the-civic-ledger.example/opinion/2024/03/four-day-week-schools",
        "html": """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Opinion | A four-day school week is a bad trade for our kids | The Civic Ledger</title></head>
<body>
<header><a class="brand" href="/">The Civic Ledger</a><nav><a href="/news">News</a> <a href="/opinion">Opinion</a> <a href="/letters">Letters</a> <a href="/events">Events</a> <a href="/donate">Donate</a></nav></header>
<main>
<div class="opinion-label">Opinion · Guest column</div>
<h1>A four-day school week is a bad trade for our kids</h1>
<div class="byline">Laura Chen-Whitaker · March 28, 2024</div>
<div class="entry">
<p data-gt>When our district first floated a four-day school week, it was pitched as a way to attract teachers in a tight labor market. That is a real problem, and I do not doubt the good intentions of the people proposing it. But the evidence so far suggests that the students would pay for the solution.</p>
<p data-gt>Districts in several states have tried the shorter week over the past decade. The most careful studies of those experiments have found small but consistent declines in reading and math achievement, concentrated among students who were already behind.</p>
<blockquote data-gt>"The fifth day does not disappear for families. It just moves from the school to the kitchen table, or to a day-care bill."</blockquote>
<p data-gt>That line, from a parent at last month's board meeting, gets at the heart of it. Families with flexible jobs or a grandparent nearby can absorb an extra day at home. Families without those things will either pay for child care they cannot afford or leave children on their own.</p>
<div class="gallery"><div class="slide"><img src="/img/board-meeting-1.jpg" alt=""><p class="caption">Parents line up to speak at the March 12 school board meeting. Photo by the author.</p></div><div class="slide"><img src="/img/board-meeting-2.jpg" alt=""><p class="caption">Board members listen to public comment, which lasted more than three hours.</p></div></div>
<p data-gt>There are better ways to keep teachers. The district could raise starting pay, which trails the neighboring district by almost 4,000 dollars, or offer protected planning time within a five-day week. Both cost money. A four-day week looks cheap only because its costs are paid by someone else.</p>
<p data-gt>The board votes in April. I hope its members will look past the recruiting pitch and ask who, in the end, gives up that fifth day.</p>
<p class="bio">Laura Chen-Whitaker is a parent of two and a former middle school science teacher. She lives in the Eastgate neighborhood.</p>
</div>
<div class="submit-letter"><h3>Have something to say?</h3><p>Send us a letter to the editor of up to 250 words. We publish a selection every Sunday, and we read every single one that we receive.</p></div>
</main>
<div class="donate-modal" role="dialog"><h2>Before you go…</h2><p>The Civic Ledger is a nonprofit newsroom. We don't have a paywall because we believe everyone deserves access to trustworthy local news. That only works if readers like you chip in. Your gift of any amount keeps our reporters in the room where decisions are made, from the school board to city hall.</p><a href="/donate" class="btn">Give now</a> <a href="#" class="close">Maybe later</a></div>
<footer><p>The Civic Ledger is a member of the Institute for Nonprofit News. © 2024 The Civic Ledger. <a href="/privacy">Privacy</a> · <a href="/republish">Republish our stories</a></p></footer>
</body></html>""",
    },
    {
        "id": "gov-notice-leaf-collection",
        "url": "https://www.springford-township.example/departments/public-works/leaf-collection",
        "html": """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Fall Leaf Collection | Springford Township, PA - Official Website</title></head>
<body>
<div class="alert-bar"><strong>Alert:</strong> Township offices will be closed Monday, November 11 in observance of Veterans Day. <a href="#">Read on</a></div>
<div class="gov-header"><a href="/"><img src="/seal.png" alt="Springford Township seal"> Springford Township</a>
<ul class="mega"><li><a href="/government">Government</a></li><li><a href="/departments">Departments</a></li><li><a href="/residents">Residents</a></li><li><a href="/business">Business</a></li><li><a href="/how-do-i">How Do I...</a></li></ul>
<form class="site-search"><input type="search" placeholder="Search..."></form></div>
<div class="breadcrumb"><a href="/">Home</a> › <a href="/departments">Departments</a> › <a href="/departments/public-works">Public Works</a> › Fall Leaf Collection</div>
<div class="two-col">
<div class="side-nav"><h3>Public Works</h3><ul><li><a href="#">Snow Removal</a></li><li><a href="#">Trash &amp; Recycling</a></li><li class="active"><a href="#">Fall Leaf Collection</a></li><li><a href="#">Yard Waste Drop-Off</a></li><li><a href="#">Street Light Outages</a></li><li><a href="#">Road Projects</a></li></ul></div>
<div class="content-area" id="page-content">
<h1>Fall Leaf Collection</h1>
<p data-gt>Curbside leaf collection runs from October 21 through December 13. Crews work through the township one zone at a time, and each zone is visited twice during the season.</p>
<h2 data-gt>How to prepare your leaves</h2>
<ul>
<li data-gt>Rake leaves to the curb or the edge of the pavement, but not into the street or over storm drains.</li>
<li data-gt>Keep piles free of branches, rocks, grass clippings and trash, which can damage the vacuum equipment.</li>
<li data-gt>Do not park on or next to leaf piles; crews will skip piles they cannot reach safely.</li>
</ul>
<h2 data-gt>Collection schedule</h2>
<p data-gt>Zone 1 (north of Ridge Pike) is collected first, followed by Zone 2 (between Ridge Pike and Main Street) and Zone 3 (south of Main Street). Weather and equipment breakdowns can delay the schedule by several days.</p>
<p data-gt>Residents who miss their zone's visit may bring leaves in paper bags to the yard waste drop-off at 1200 Township Line Road, open Saturdays from 8 a.m. to noon.</p>
<p data-gt>Questions can be directed to the Public Works Department at 610-555-0147 during business hours.</p>
<div class="doc-list"><h3>Related Documents</h3><ul><li><a href="#">2024 Leaf Collection Zone Map (PDF)</a></li><li><a href="#">Yard Waste Guidelines (PDF)</a></li></ul></div>
<div class="page-tools"><a href="#">Print</a> <a href="#">Feedback</a> <a href="#">Share &amp; Bookmark</a> <span>Font Size: + -</span></div>
</div>
</div>
<div class="gov-footer"><div><b>Springford Township</b><br>1 Municipal Drive<br>Springford, PA 19400<br>Phone: 610-555-0100</div><div><a href="#">Contact Us</a><br><a href="#">Staff Directory</a><br><a href="#">Accessibility</a><br><a href="#">Site Map</a></div><p>Government Websites by a municipal web vendor · Copyright notices · Powered by a content management system</p></div>
</body>
</html>""",
    },
]
