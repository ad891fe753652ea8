"""Reader test pages, part one: news, a blog, documentation, non-UTF-8 news."""

# ruff: noqa: E501

COOKIE_BANNER = """
<div id="cookie-consent" class="cookie-banner" role="dialog">
  <p>We use cookies and similar technologies to improve your experience, measure audiences and show you
  personalised advertising. You can accept all cookies, refuse non-essential ones or choose your settings
  at any time from the privacy centre linked at the bottom of every page.</p>
  <button>Accept all</button> <button>Refuse</button> <a href="/privacy">Manage settings</a>
</div>"""

PAGES = [
    {
        "id": "news-harbor-plan",
        "url": "https://www.lakeside-herald.example/local/2024/05/14/council-approves-harbor-plan",
        "html": """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Council approves $48 million harbor plan after marathon session | The Lakeside Herald</title>
<meta property="og:title" content="Council approves $48 million harbor plan after marathon session">
<meta name="author" content="Dana Whitfield">
<meta property="article:published_time" content="2024-05-14T21:40:00-05:00">
<link rel="stylesheet" href="/static/site.css">
<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}</script>
</head>
<body class="article-page">
"""
        + COOKIE_BANNER
        + """
<header class="site-header">
  <a class="logo" href="/">The Lakeside Herald</a>
  <nav class="main-nav"><ul>
    <li><a href="/local">Local</a></li><li><a href="/politics">Politics</a></li><li><a href="/business">Business</a></li>
    <li><a href="/sports">Sports</a></li><li><a href="/opinion">Opinion</a></li><li><a href="/weather">Weather</a></li>
    <li><a href="/obituaries">Obituaries</a></li><li><a href="/subscribe" class="cta">Subscribe for $1</a></li>
  </ul></nav>
  <div class="ticker"><strong>Breaking:</strong> <a href="/traffic/i-94-closure">Eastbound I-94 closed near Exit 41 after crash</a></div>
</header>
<main>
<article class="story">
  <div class="breadcrumbs"><a href="/">Home</a> › <a href="/local">Local</a> › <a href="/local/government">Government</a></div>
  <h1 class="headline">Council approves $48 million harbor plan after marathon session</h1>
  <div class="byline">By <a href="/staff/dana-whitfield">Dana Whitfield</a>, Staff Writer · <time datetime="2024-05-14">May 14, 2024</time> · Updated 10:12 p.m.</div>
  <figure class="lead-image">
    <img src="/img/harbor.jpg" alt="The north pier at dusk">
    <figcaption>The north pier, where the plan would add a public boardwalk and a ferry landing. (Photo: Marcus Lee / The Herald)</figcaption>
  </figure>
  <div class="story-body">
    <p data-gt>After nearly six hours of public comment and debate, the Lakeside City Council voted 7-2 on Tuesday night to approve a $48 million redevelopment plan for the city's aging harbor, ending a dispute that has divided neighborhoods along the waterfront for almost three years.</p>
    <p data-gt>The plan replaces the crumbling north pier with a public boardwalk, adds a year-round ferry landing and sets aside four acres for a park on land now occupied by a shuttered fish processing plant. Construction could begin as early as next spring, according to the city's harbor director, Luis Carmona.</p>
    <p class="inline-related">Read more: <a href="/local/2024/03/02/harbor-plan-what-we-know">What we know about the harbor plan so far</a></p>
    <p data-gt>"This is the most significant investment in the waterfront in two generations," Mayor Ellen Brandt said before the vote. "People have told us for years that they want to be able to walk to the water, and this finally gets us there."</p>
    <div class="ad-slot ad-inline" data-ad-unit="story_mid_1"><span class="ad-label">Advertisement</span></div>
    <p data-gt>Opponents, most of them residents of the Point neighborhood just east of the harbor, argued that the ferry landing would bring traffic and parking pressure to streets that were never designed for it. Several speakers asked the council to delay the vote until an independent traffic study could be completed.</p>
    <p data-gt>Council member Rosa Tilghman, one of the two votes against the plan, said she supported the park but could not back the ferry landing without firmer numbers. "We are being asked to trust projections from the same consultant who told us the parking garage on Fifth Street would pay for itself," she said.</p>
    <h2 data-gt>How the project will be paid for</h2>
    <p data-gt>Roughly half of the money will come from a state waterfront resilience grant awarded in January. The rest will be covered by bonds that the city expects to repay with ferry fees and lease payments from two restaurants planned for the boardwalk.</p>
    <p data-gt>City finance staff told the council that the bonds would not require a property tax increase, although they acknowledged that the estimates assume the ferry reaches 60 percent of its projected ridership within three years.</p>
    <div class="newsletter-signup"><h3>Get local news in your inbox</h3><p>Sign up for The Morning Herald, our free daily newsletter with the stories that matter in Lakeside.</p><form><input type="email" placeholder="Email address"><button>Sign up</button></form></div>
    <p data-gt>Carmona said the city would hold at least two more public meetings before final designs are approved, and that the traffic study requested by opponents would be finished before any work starts on the ferry landing.</p>
    <p data-gt>The council also approved a separate measure, 9-0, directing staff to look into a residential parking permit program for the Point neighborhood.</p>
  </div>
  <div class="share-tools"><span>Share this story:</span> <a href="#">Facebook</a> <a href="#">X</a> <a href="#">Email</a> <a href="#">Copy link</a></div>
  <div class="tags">Topics: <a href="/tag/harbor">Harbor</a> <a href="/tag/city-council">City Council</a> <a href="/tag/ferry">Ferry</a></div>
  <div class="author-bio"><img src="/img/staff/dw.jpg" alt=""><p>Dana Whitfield covers city government and development for The Herald. Reach her at dwhitfield@lakeside-herald.example or on X at @danawrites.</p></div>
</article>
<aside class="related">
  <h3>More in Local</h3>
  <ul>
    <li><a href="/local/2024/05/13/school-board-budget">School board trims $2.1 million from next year's budget amid enrollment decline</a></li>
    <li><a href="/local/2024/05/12/library-hours">Central library to restore Sunday hours starting in June</a></li>
    <li><a href="/local/2024/05/11/bridge-inspection">State inspectors flag corrosion on Mill Street bridge, lane closures expected</a></li>
    <li><a href="/local/2024/05/10/farmers-market">Farmers market returns to Commerce Square with 40 vendors</a></li>
  </ul>
</aside>
<section class="comments" id="comments">
  <h3>Comments (3)</h3>
  <div class="comment"><span class="user">pointresident22</span><p>Nobody who lives on Bay Street was asked about the ferry. Wait until you see the line of cars on a summer Saturday.</p></div>
  <div class="comment"><span class="user">mkoval</span><p>Finally. The north pier has been closed for as long as my kids have been alive. Happy to see something happen.</p></div>
  <div class="comment"><span class="user">lakesider</span><p>Sixty percent ridership in three years sounds optimistic. Who pays if it doesn't get there?</p></div>
</section>
</main>
<footer class="site-footer">
  <div class="footer-cols">
    <ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li><li><a href="/careers">Careers</a></li><li><a href="/advertise">Advertise</a></li></ul>
    <ul><li><a href="/terms">Terms of Service</a></li><li><a href="/privacy">Privacy Policy</a></li><li><a href="/cookies">Cookie Settings</a></li><li><a href="/accessibility">Accessibility</a></li></ul>
  </div>
  <p>© 2024 The Lakeside Herald. All rights reserved.</p>
</footer>
<script src="/static/ads.js"></script>
</body>
</html>""",
    },
    {
        "id": "blog-sourdough-starter",
        "url": "https://crumbandcrust.example/2023/11/reviving-a-neglected-sourdough-starter/",
        "html": """<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reviving a Neglected Sourdough Starter (It's Probably Fine) &#8211; Crumb &amp; Crust</title>
<link rel='stylesheet' id='theme-css' href='/wp-content/themes/loaf/style.css' media='all' />
</head>
<body class="post-template-default single single-post">
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
<header id="masthead" class="site-header">
  <p class="site-title"><a href="/">Crumb &amp; Crust</a></p>
  <p class="site-description">Bread, mostly. Sometimes cake.</p>
  <nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">
    <li><a href="/">Home</a></li><li><a href="/recipes/">Recipes</a></li><li><a href="/baking-basics/">Baking Basics</a></li><li><a href="/about/">About</a></li><li><a href="/shop/">Shop</a></li>
  </ul></nav>
</header>
<div id="content" class="site-content">
<div id="primary" class="content-area"><main id="main" class="site-main">
<article id="post-1482" class="post-1482 post type-post status-publish format-standard hentry category-baking-basics">
  <header class="entry-header">
    <h1 class="entry-title">Reviving a Neglected Sourdough Starter (It's Probably Fine)</h1>
    <div class="entry-meta"><span class="posted-on">Posted on <time class="entry-date published" datetime="2023-11-08T09:15:00+00:00">November 8, 2023</time></span> <span class="byline"> by <span class="author vcard"><a class="url fn n" href="/author/hanna/">Hanna</a></span></span></div>
  </header>
  <div class="entry-content">
    <p data-gt>Every few weeks someone writes to me with a photo of a jar at the back of their fridge: a layer of grey liquid on top, a smell somewhere between nail polish remover and old socks, and a question about whether it is time to give up. The answer is almost always no. Sourdough starters are far harder to kill than they look.</p>
    <p data-gt>The grey liquid is called hooch. It is mostly alcohol produced by the yeast once it runs out of fresh flour, and it is a sign of hunger, not of death. You can pour it off or stir it back in; stirring it in will give your next loaf a slightly more sour flavour.</p>
    <h2 data-gt>What you need</h2>
    <ul>
      <li data-gt>A tablespoon of your old starter, taken from underneath any discoloured layer</li>
      <li data-gt>Unbleached bread flour, plus a little whole rye if you have it</li>
      <li data-gt>Lukewarm water, filtered if your tap water is heavily chlorinated</li>
      <li data-gt>A clean jar and a rubber band to mark the level after each feeding</li>
    </ul>
    <h2 data-gt>The three-day revival</h2>
    <p data-gt>On the first day, discard everything except one tablespoon of starter. Mix it with 50 grams of flour and 50 grams of water, put the lid on loosely and leave it somewhere warm, ideally around 24 to 26 degrees. Do not worry if nothing seems to happen for the first twelve hours.</p>
    <p data-gt>On the second day, repeat the same feeding twice, about twelve hours apart. By the evening you should see a few bubbles and the sharp smell should have softened into something closer to yoghurt. If you used a little rye flour, activity usually comes back noticeably faster.</p>
    <p data-gt>By the third day, a healthy starter will double within four to eight hours of being fed. Once it does that two feedings in a row, it is ready to bake with again. If it still looks sluggish, keep going for another day or two before drawing any conclusions.</p>
    <h2 data-gt>When to actually throw it out</h2>
    <p data-gt>There is one situation in which I would start again: fuzzy mould, or pink and orange streaks anywhere in the jar. Those mean other organisms have taken hold, and scraping off the top is not enough. Anything else, including a very strong smell or a dark liquid layer, can be fixed with a few days of regular meals.</p>
    <div class="wp-block-image"><figure class="aligncenter"><img src="/wp-content/uploads/2023/11/starter-day3.jpg" alt=""><figcaption>Day three: doubled in five hours and smelling like apples.</figcaption></figure></div>
    <p data-gt>If you want to avoid the whole problem next time, feed the starter once before it goes into the fridge and once a week after that. Or dry a little of it on baking paper as a backup; dried flakes keep for months in a sealed bag.</p>
    <div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3><ul><li><a href="#">Pinterest</a></li><li><a href="#">Facebook</a></li><li><a href="#">Print</a></li></ul></div>
    <div class="jp-relatedposts"><h3>Related</h3>
      <div class="jp-relatedposts-post"><a href="/2023/09/rye-starter-from-scratch/">Making a rye starter from scratch</a><p>In "Baking Basics"</p></div>
      <div class="jp-relatedposts-post"><a href="/2023/06/discard-crackers/">Sourdough discard crackers with rosemary</a><p>In "Recipes"</p></div>
    </div>
  </div>
  <footer class="entry-footer"><span class="cat-links">Posted in <a href="/category/baking-basics/">Baking Basics</a></span><span class="tags-links">Tagged <a href="/tag/sourdough/">sourdough</a>, <a href="/tag/starter/">starter</a></span></footer>
</article>
<nav class="navigation post-navigation"><div class="nav-previous"><a href="/2023/10/apple-galette/">Previous post: A very forgiving apple galette</a></div><div class="nav-next"><a href="/2023/11/stollen/">Next post: Stollen, a month early</a></div></nav>
<div id="comments" class="comments-area">
  <h2 class="comments-title">6 thoughts on &ldquo;Reviving a Neglected Sourdough Starter (It's Probably Fine)&rdquo;</h2>
  <ol class="comment-list">
    <li class="comment"><article class="comment-body"><footer class="comment-meta"><b class="fn">Priya</b> <time>November 8, 2023 at 11:02 am</time></footer><div class="comment-content"><p>Mine had been in the fridge for five months and it came back on day four. I had completely written it off, so thank you for this! The rye flour trick really made a difference for me.</p></div><div class="reply"><a class="comment-reply-link" href="#">Reply</a></div></article></li>
    <li class="comment"><article class="comment-body"><footer class="comment-meta"><b class="fn">Tom B.</b> <time>November 9, 2023 at 7:45 pm</time></footer><div class="comment-content"><p>Is it normal for it to rise and then fall back down before the twelve hours are up? My kitchen is quite warm at the moment.</p></div></article>
      <ol class="children"><li class="comment"><article class="comment-body"><footer class="comment-meta"><b class="fn">Hanna</b></footer><div class="comment-content"><p>Yes, totally normal in a warm kitchen. It just means it is ready sooner; feed it a little earlier or use cooler water.</p></div></article></li></ol></li>
  </ol>
  <div id="respond" class="comment-respond"><h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3><form><p class="comment-notes">Your email address will not be published. Required fields are marked *</p><textarea></textarea><p class="form-submit"><input type="submit" value="Post Comment"></p></form></div>
</div>
</main></div>
<aside id="secondary" class="widget-area">
  <section class="widget widget_search"><form role="search"><input type="search" placeholder="Search &hellip;"></form></section>
  <section class="widget widget_text"><h2 class="widget-title">Hi, I'm Hanna</h2><div class="textwidget"><p>I have been baking bread at home for fifteen years and teaching weekend classes for five. This blog is where I write down everything my students ask me.</p></div></section>
  <section class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2><ul><li><a href="/2023/11/stollen/">Stollen, a month early</a></li><li><a href="/2023/10/apple-galette/">A very forgiving apple galette</a></li><li><a href="/2023/10/oven-spring/">Why didn't my loaf rise in the oven?</a></li></ul></section>
  <section class="widget widget_archive"><h2 class="widget-title">Archives</h2><ul><li><a href="/2023/11/">November 2023</a></li><li><a href="/2023/10/">October 2023</a></li><li><a href="/2023/09/">September 2023</a></li></ul></section>
</aside>
</div>
<footer id="colophon" class="site-footer"><div class="site-info">&copy; 2023 Crumb &amp; Crust &middot; Proudly powered by WordPress</div></footer>
</div>
</body>
</html>""",
    },
    {
        "id": "docs-tidepool-sync",
        "url": "https://docs.tidepool.example/en/stable/guide/sync.html",
        "html": """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>Synchronising folders — Tidepool 3.2 documentation</title>
<link rel="stylesheet" href="../_static/theme.css">
</head>
<body>
<div class="announcement">Tidepool 3.3 is out! <a href="/en/latest/changelog.html">See what's new</a>.</div>
<nav class="top-bar"><a href="/" class="brand">Tidepool</a> <a href="/en/stable/">Docs</a> <a href="https://github.example/tidepool/tidepool">GitHub</a> <a href="/en/stable/community.html">Community</a>
  <form class="search"><input type="text" name="q" placeholder="Search the docs"></form></nav>
<div class="wrapper">
<nav class="sidebar" aria-label="Main navigation">
  <p class="caption">Getting started</p>
  <ul><li><a href="../install.html">Installation</a></li><li><a href="../quickstart.html">Quick start</a></li><li><a href="../concepts.html">Concepts</a></li></ul>
  <p class="caption">User guide</p>
  <ul><li><a href="remotes.html">Remotes</a></li><li class="current"><a href="#">Synchronising folders</a></li><li><a href="conflicts.html">Resolving conflicts</a></li><li><a href="filters.html">Filters and ignore files</a></li><li><a href="scheduling.html">Scheduling</a></li></ul>
  <p class="caption">Reference</p>
  <ul><li><a href="../cli.html">Command line</a></li><li><a href="../config.html">Configuration file</a></li><li><a href="../api.html">Python API</a></li></ul>
</nav>
<div class="document" role="main">
  <div class="breadcrumbs"><a href="../index.html">Docs</a> » <a href="index.html">User guide</a> » Synchronising folders <a class="edit" href="#">Edit on GitHub</a></div>
  <section id="synchronising-folders">
    <h1>Synchronising folders<a class="headerlink" href="#synchronising-folders" title="Permalink to this heading">¶</a></h1>
    <p data-gt>A sync keeps a local folder and a remote in step. Tidepool compares both sides against the state recorded after the previous run, so it can tell a file that was deleted on one side from a file that was created on the other.</p>
    <section id="running-a-sync">
      <h2 data-gt>Running a sync</h2>
      <p data-gt>Point the sync command at a folder that has already been linked to a remote:</p>
      <pre data-gt>$ tidepool sync ~/Documents/notes
Scanning local folder... 1,204 files
Scanning remote "backup"... 1,198 files
Uploading 6 files, downloading 0 files, 0 conflicts</pre>
      <p data-gt>The first run on a large folder can take a while, because every file has to be hashed. Later runs only hash files whose size or modification time has changed.</p>
      <div class="admonition note">
        <p class="admonition-title">Note</p>
        <p data-gt>Tidepool never deletes a file on either side during the first sync of a folder. Deletions are only propagated once a previous state exists to compare with.</p>
      </div>
    </section>
    <section id="dry-runs">
      <h2 data-gt>Dry runs</h2>
      <p data-gt>Add --dry-run to see what would change without touching any file. The output lists every planned upload, download and deletion, followed by a summary line.</p>
      <pre data-gt>$ tidepool sync --dry-run ~/Documents/notes</pre>
      <p data-gt>A dry run still contacts the remote, so it needs the same credentials as a real sync.</p>
    </section>
    <section id="choosing-a-direction">
      <h2 data-gt>Choosing a direction</h2>
      <p data-gt>By default changes flow both ways. The --direction option restricts them:</p>
      <table class="docutils">
        <thead><tr data-gt><th>Value</th><th>Effect</th></tr></thead>
        <tbody>
          <tr data-gt><td>both</td><td>Upload local changes and download remote ones (default).</td></tr>
          <tr data-gt><td>up</td><td>Only upload; remote changes are reported but left alone.</td></tr>
          <tr data-gt><td>down</td><td>Only download; local changes are reported but left alone.</td></tr>
        </tbody>
      </table>
      <p data-gt>One-way syncs are useful for publishing a folder to a remote that other people only read from.</p>
    </section>
  </section>
  <div class="footer-nav"><a href="remotes.html" class="prev">« Previous: Remotes</a> <a href="conflicts.html" class="next">Next: Resolving conflicts »</a></div>
  <div class="feedback">Was this page helpful? <button>Yes</button> <button>No</button></div>
</div>
<nav class="page-toc"><p>On this page</p><ul><li><a href="#running-a-sync">Running a sync</a></li><li><a href="#dry-runs">Dry runs</a></li><li><a href="#choosing-a-direction">Choosing a direction</a></li></ul></nav>
</div>
<footer><p>© Copyright 2019–2024, the Tidepool developers. Built with a documentation generator using a theme provided by the community.</p><p>Version 3.2.1 · <a href="/en/latest/">latest</a> · <a href="/en/3.1/">3.1</a></p></footer>
</body>
</html>""",
    },
    {
        "id": "news-de-bahnstrecke",
        "url": "https://www.nordkurier-allgemeine.example/region/bahnstrecke-wieder-frei-1.884213",
        "encoding": "cp1252",
        "html": """<!DOCTYPE html>
<html lang="de">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">
<title>Bahnstrecke nach Sturmschäden wieder frei – Nordkurier Allgemeine</title>
<meta name="description" content="Nach fünf Tagen rollen die Züge zwischen Wendisch Rietz und Beeskow wieder.">
</head>
<body>
<div class="consent-layer"><p>Wir und unsere Partner verwenden Cookies, um Inhalte und Anzeigen zu personalisieren und die Zugriffe auf unsere Website zu analysieren. Mit „Zustimmen“ willigen Sie in die Verarbeitung ein; Ihre Einwilligung können Sie jederzeit in den Datenschutzeinstellungen widerrufen.</p><button>Zustimmen</button><button>Ablehnen</button></div>
<div id="kopf">
  <div class="logo"><a href="/">Nordkurier Allgemeine</a></div>
  <ul class="ressorts"><li><a href="/region">Region</a></li><li><a href="/politik">Politik</a></li><li><a href="/wirtschaft">Wirtschaft</a></li><li><a href="/sport">Sport</a></li><li><a href="/kultur">Kultur</a></li><li><a href="/abo">Abo &amp; Service</a></li></ul>
</div>
<div id="inhalt">
  <div class="artikel">
    <span class="dachzeile">Verkehr</span>
    <h1>Bahnstrecke nach Sturmschäden wieder frei</h1>
    <p class="autor">Von Jörg Lübbecke · 12.03.2024, 16:45 Uhr</p>
    <p class="teaser" data-gt>Nach fünf Tagen Sperrung rollen die Regionalzüge zwischen Wendisch Rietz und Beeskow wieder. Die Bahn hatte mehr als 40 umgestürzte Bäume von den Gleisen räumen müssen.</p>
    <div class="anzeige">Anzeige</div>
    <p data-gt>Seit Dienstagmorgen fahren die Züge der Linie RB 36 wieder planmäßig. Das teilte ein Sprecher der Bahn am Montagabend mit. Zuvor hatten Arbeitstrupps bis in die Nacht hinein Stämme zersägt und die Oberleitung an drei Stellen repariert.</p>
    <p data-gt>Besonders schwer getroffen war ein etwa zwei Kilometer langer Abschnitt südlich von Storkow, wo der Sturm „Gisela“ ganze Kiefernreihen auf den Bahndamm geworfen hatte. Dort musste zeitweise schweres Gerät über Forstwege herangeschafft werden.</p>
    <p data-gt>Pendlerinnen und Pendler mussten während der Sperrung auf Ersatzbusse ausweichen, die nach Angaben von Fahrgästen häufig überfüllt waren. „Ich habe jeden Tag fast eine Stunde länger gebraucht“, sagte eine Krankenpflegerin aus Beeskow, die in Königs Wusterhausen arbeitet.</p>
    <h2 data-gt>Kritik an der Informationspolitik</h2>
    <p data-gt>Der Fahrgastverband übte Kritik an der Informationspolitik der Bahn. Über die Dauer der Sperrung habe es tagelang widersprüchliche Angaben gegeben, sagte dessen Landesvorsitzender Günter Maaß. Er forderte, dass künftig frühzeitig ein verlässlicher Fahrplan für den Ersatzverkehr veröffentlicht werde.</p>
    <p data-gt>Die Bahn kündigte an, die Vegetation entlang der Strecke im kommenden Winter stärker zurückzuschneiden. Auf rund zwölf Kilometern sollen Bäume, die näher als sechs Meter am Gleis stehen, gefällt oder gekürzt werden.</p>
    <div class="mehr-zum-thema"><h3>Mehr zum Thema</h3><ul><li><a href="/region/sturm-gisela-bilanz">Sturm „Gisela“: Die Bilanz für den Landkreis</a></li><li><a href="/region/ersatzverkehr-chaos">Ersatzverkehr: Fahrgäste berichten von Chaos</a></li></ul></div>
  </div>
  <div class="seitenleiste"><h3>Meistgelesen</h3><ol><li><a href="#">Neuer Radweg am Scharmützelsee freigegeben</a></li><li><a href="#">Kreistag beschließt Haushalt für 2024</a></li><li><a href="#">Wochenmarkt zieht auf den Kirchplatz um</a></li></ol></div>
</div>
<div id="fuss"><a href="/impressum">Impressum</a> | <a href="/datenschutz">Datenschutz</a> | <a href="/agb">AGB</a> | <a href="/kontakt">Kontakt</a> — © Nordkurier Allgemeine GmbH &amp; Co. KG</div>
</body>
</html>""",
    },
    {
        "id": "news-ja-sakura",
        "url": "https://news.minato-shimbun.example/articles/20240402-sakura.html",
        "encoding": "shift_jis",
        "html": """<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="Shift_JIS">
<title>桜の開花、平年より5日遅く　気象台が発表 | みなと新聞</title>
</head>
<body>
<div id="header"><div class="logo"><a href="/">みなと新聞</a></div>
<ul class="gnav"><li><a href="/national/">社会</a></li><li><a href="/politics/">政治</a></li><li><a href="/economy/">経済</a></li><li><a href="/sports/">スポーツ</a></li><li><a href="/weather/">天気</a></li></ul></div>
<div id="main">
<div class="article">
<h1>桜の開花、平年より5日遅く　気象台が発表</h1>
<p class="date">2024年4月2日 15時30分</p>
<div class="article-body">
<p data-gt>気象台は2日、市内の標本木で桜（ソメイヨシノ）が開花したと発表した。平年より5日遅く、昨年より9日遅い開花となった。</p>
<p data-gt>気象台によると、3月中旬以降に気温の低い日が続いたことが開花の遅れにつながったという。職員が午前10時ごろに標本木を観察し、5輪以上の花が咲いているのを確認した。</p>
<p data-gt>満開は1週間ほど後になる見込みで、市内の公園では週末に花見客でにぎわうことが予想される。市は混雑を避けるため、公共交通機関を利用するよう呼びかけている。</p>
<p data-gt>市内の中央公園を訪れていた70代の女性は「今年はなかなか咲かないので心配していた。満開になったらまた孫と一緒に来たい」と話していた。</p>
</div>
<div class="related"><h2>関連記事</h2><ul><li><a href="#">週末は各地で気温上昇　行楽日和に</a></li><li><a href="#">花見シーズン、ごみの持ち帰りを呼びかけ</a></li></ul></div>
<div class="sns">この記事をシェアする <a href="#">X</a> <a href="#">LINE</a></div>
</div>
<div id="side"><h2>アクセスランキング</h2><ol><li><a href="#">新駅の名称決まる　来春開業へ</a></li><li><a href="#">高校野球、地元校が初戦突破</a></li></ol></div>
</div>
<div id="footer">Copyright (C) みなと新聞社 All rights reserved. 記事・写真の無断転載を禁じます。</div>
</body>
</html>""",
    },
    {
        "id": "news-ru-teplo",
        "url": "https://vesti-oblasti.example/news/2023/10/19/otopitelnyy-sezon",
        "encoding": "cp1251",
        "html": """<!DOCTYPE html>
<html lang="ru">
<head>
<meta http-equiv="content-type" content="text/html; charset=windows-1251">
<title>Отопительный сезон начнётся на неделю раньше — Вести области</title>
</head>
<body>
<div class="top-menu"><a href="/">Главная</a> <a href="/news">Новости</a> <a href="/economy">Экономика</a> <a href="/society">Общество</a> <a href="/sport">Спорт</a> <a href="/contacts">Контакты</a></div>
<div class="banner-top">Реклама</div>
<div class="page">
 <div class="content">
  <h1>Отопительный сезон начнётся на неделю раньше</h1>
  <div class="meta">19 октября 2023, 11:20 · Автор: Ирина Соколова · Просмотров: 4 812</div>
  <div class="text">
   <p data-gt>Отопительный сезон в областном центре начнётся 23 октября, на неделю раньше запланированного срока. Соответствующее решение принято на заседании городской комиссии в четверг.</p>
   <p data-gt>По словам заместителя главы города Андрея Васильева, причиной стало резкое похолодание: среднесуточная температура уже три дня держится ниже восьми градусов, а синоптики не обещают потепления до конца месяца.</p>
   <p data-gt>В первую очередь тепло получат больницы, поликлиники, школы и детские сады. Жилые дома планируется подключить в течение пяти дней после запуска котельных.</p>
   <p data-gt>Жителей просят сообщать о проблемах с отоплением по телефону единой диспетчерской службы. В прошлом году в первые дни сезона поступило более 600 обращений, большинство из них касались завоздушивания батарей.</p>
  </div>
  <div class="share">Поделиться: <a href="#">ВКонтакте</a> <a href="#">Телеграм</a> <a href="#">Одноклассники</a></div>
  <div class="read-also"><b>Читайте также:</b> <a href="#">Тарифы на тепло вырастут с 1 декабря</a> · <a href="#">В трёх районах отключат горячую воду</a></div>
 </div>
 <div class="sidebar"><h3>Популярное</h3><ul><li><a href="#">На мосту через реку начался ремонт</a></li><li><a href="#">Новый маршрут автобуса свяжет два микрорайона</a></li><li><a href="#">В парке высадили двести деревьев</a></li></ul></div>
</div>
<div class="footer">© 2023 «Вести области». При использовании материалов ссылка обязательна. 16+</div>
</body>
</html>""",
    },
    {
        "id": "magazine-night-trains",
        "url": "https://longreads-quarterly.example/travel/the-return-of-the-night-train-3f1a9c2e",
        "html": """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>The return of the night train | Longreads Quarterly</title>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Article","headline":"The return of the night train","author":{"@type":"Person","name":"Felix Ambrose"},"datePublished":"2024-02-03"}</script>
</head>
<body>
<div class="metered-banner">You have 2 free stories left this month. <a href="/membership">Become a member</a> for unlimited reading.</div>
<div class="app">
<div class="topbar"><a href="/" class="wordmark">Longreads Quarterly</a><div class="topbar-actions"><a href="/write">Write</a><a href="/signin">Sign in</a><a href="/get-started" class="button">Get started</a></div></div>
<div class="post-wrap">
<div class="post">
  <div class="post-header">
    <h1>The return of the night train</h1>
    <h2 class="subtitle">Europe's sleeper services were written off a decade ago. Now they are full every weekend.</h2>
    <div class="post-meta"><a href="/@felixambrose" class="author-name">Felix Ambrose</a> · 14 min read · Feb 3, 2024 <button class="follow">Follow</button></div>
    <div class="claps">2.4K claps · 61 responses</div>
  </div>
  <div class="post-body">
    <div class="section">
      <p data-gt>At a quarter past nine on a Thursday evening, platform 11 is crowded with people who do not look like they are going on an adventure. There is a man in a suit eating noodles out of a paper box, two students with enormous backpacks, and a family arguing quietly about who gets the top bunk.</p>
      <p data-gt>Ten years ago this train did not exist. The route was cut in the early 2010s, along with dozens of other overnight services across the continent, as budget airlines undercut them and rail operators decided that running half-empty sleeping cars was a luxury they could no longer afford.</p>
      <p data-gt>What changed was not the trains, which are in many cases the same refurbished carriages, but the passengers. Surveys by several operators suggest that a growing share of travellers choose the night train specifically to avoid flying, and that many of them are willing to pay more for it.</p>
    </div>
    <blockquote class="pullquote">"The sleeping car turned out to be a product people wanted all along."</blockquote>
    <div class="section">
      <h3 data-gt>An expensive way to move people</h3>
      <p data-gt>The economics remain awkward. A sleeping car carries far fewer people than a seated coach and it makes only one journey a day, while a high-speed train can shuttle back and forth three or four times. Staff have to be paid overnight, and the carriages sit idle during the day.</p>
      <p data-gt>One planner I spoke to put it bluntly: the sleeping car turned out to be a product people wanted all along, but it is still a product that is very hard to make money on. Operators have responded by adding cheaper couchette and seated sections to each train and by selling private compartments at prices that start to resemble a hotel room.</p>
      <p data-gt>Track access is the other obstacle. Night trains need paths through busy junctions at hours when infrastructure managers would rather close lines for maintenance, and cross-border services have to negotiate with every country they pass through.</p>
      <h3 data-gt>A night on board</h3>
      <p data-gt>My compartment has three narrow bunks, a small sink hidden under a fold-down table and a bag of supplies that includes earplugs, slippers and a bottle of sparkling water. The attendant takes breakfast orders on a paper form and warns that the coffee is, in his words, "better than it used to be."</p>
      <p data-gt>Sleep comes in fragments. The train stops for long minutes at stations whose names I cannot read in the dark, and somewhere around three in the morning the carriages are shunted onto another train with a series of gentle but unmistakable bumps. Then, suddenly, it is light, and there are mountains outside the window.</p>
      <p data-gt>By the time we arrive, only twenty minutes late, most of my fellow passengers have already decided they will do it again. The man in the suit tells me he has not taken a work flight in two years. "I lose the evening," he says, "but I gain the morning."</p>
    </div>
  </div>
  <div class="post-footer">
    <div class="tags"><a href="/tag/travel">Travel</a><a href="/tag/trains">Trains</a><a href="/tag/climate">Climate</a></div>
    <div class="claps-bottom">2.4K claps · 61 responses</div>
    <div class="written-by"><h4>Written by Felix Ambrose</h4><p>11K Followers · Writer on transport, cities and the spaces between them. Author of a book about timetables.</p></div>
  </div>
</div>
<div class="more-from">
  <h3>More from Longreads Quarterly</h3>
  <div class="card"><a href="#"><h4>Why every city is building the same tram</h4><p>Low floors, grass tracks and the quiet standardisation of urban transport design across three continents.</p></a><span>9 min read</span></div>
  <div class="card"><a href="#"><h4>The last timetable printer</h4><p>In a small workshop outside the capital, one company still prints the paper timetables that hang in thousands of stations.</p></a><span>12 min read</span></div>
  <div class="card"><a href="#"><h4>I crossed a continent without a plane</h4><p>Twenty-one trains, four ferries and one very long bus ride: a diary of slow travel and what it costs.</p></a><span>18 min read</span></div>
</div>
</div>
</div>
<div class="footer-links"><a href="/help">Help</a> <a href="/status">Status</a> <a href="/about">About</a> <a href="/careers">Careers</a> <a href="/privacy">Privacy</a> <a href="/terms">Terms</a> <a href="/text-to-speech">Text to speech</a></div>
</body>
</html>""",
    },
    {
        "id": "press-release-div-br",
        "url": "https://www.orchardvale-energy.example/newsroom/2024/solar-farm-commissioning",
        "html": """<html>
<head>
<meta charset="utf-8">
<title>Orchardvale Energy commissions 120 MW Redbank solar farm - Newsroom</title>
</head>
<body>
<table width="100%" class="layout"><tr><td class="hdr"><a href="/"><img src="/logo.gif" alt="Orchardvale Energy"></a></td>
<td class="topnav"><a href="/about">About</a> | <a href="/projects">Projects</a> | <a href="/investors">Investors</a> | <a href="/newsroom">Newsroom</a> | <a href="/careers">Careers</a> | <a href="/contact">Contact</a></td></tr></table>
<div id="wrap">
<div id="leftcol">
<div class="box"><b>Newsroom</b><br><a href="/newsroom/2024">2024 releases</a><br><a href="/newsroom/2023">2023 releases</a><br><a href="/newsroom/media-kit">Media kit</a><br><a href="/newsroom/contacts">Media contacts</a></div>
<div class="box"><b>Subscribe</b><br>Receive our press releases by email.<br><input type="text" size="14"><input type="submit" value="Go"></div>
</div>
<div id="maincol">
<div class="release">
<div class="release-title">Orchardvale Energy commissions 120 MW Redbank solar farm</div>
<div class="release-date">FOR IMMEDIATE RELEASE — 6 March 2024</div>
<div class="release-text">
<span data-gt>REDBANK, 6 March 2024 — Orchardvale Energy today announced that its Redbank solar farm has completed commissioning and is now delivering power to the regional grid at its full capacity of 120 megawatts.</span><br><br>
<span data-gt>The project, built on former grazing land 14 kilometres north of Redbank, includes more than 210,000 bifacial panels mounted on single-axis trackers that follow the sun through the day. It is expected to generate around 290 gigawatt-hours a year, enough for roughly 45,000 homes.</span><br><br>
<span data-gt>"Redbank was delivered on time and slightly under budget, which in the current supply environment is an achievement our construction partners should be proud of," said Chief Executive Margaret Oduya. "It also shows that solar and agriculture can share the same land: sheep are already back grazing between the rows."</span><br><br>
<span data-gt>Construction employed up to 340 people at its peak, around a third of them from the surrounding shire. Orchardvale has also committed 150,000 dollars a year for the life of the project to a community fund that supports local schools, sports clubs and a volunteer fire brigade.</span><br><br>
<span data-gt>A 50 megawatt battery is planned for the site and is expected to reach a final investment decision later this year.</span><br><br>
<span data-gt>About Orchardvale Energy: Orchardvale Energy develops, owns and operates wind, solar and storage projects with a combined capacity of 1.4 gigawatts.</span><br><br>
<span class="contact">Media contact: Sam Reyes, +61 2 5550 0192, media@orchardvale-energy.example</span>
</div>
<div class="release-links"><a href="/newsroom/2024/redbank-fact-sheet.pdf">Download fact sheet (PDF)</a> | <a href="/newsroom/media-kit">Images</a> | <a href="javascript:window.print()">Print</a></div>
</div>
</div>
</div>
<div id="footer">Orchardvale Energy Ltd | ABN 00 000 000 000 | <a href="/privacy">Privacy</a> | <a href="/terms">Terms of use</a> | <a href="/sitemap">Sitemap</a><br>Copyright 2024. All rights reserved.</div>
</body>
</html>""",
    },
]
