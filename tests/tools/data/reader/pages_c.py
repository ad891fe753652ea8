"""Reader test pages, part three: unmarked comments, div paragraphs, in-article bios."""

# ruff: noqa: E501

PAGES = [
    {
        "id": "news-library-levy",
        "url": "https://www.valley-times.example/news/2024/06/05/library-levy-passes",
        "html": """<html><head><title>Library levy passes by narrow margin | Valley Times</title></head><body>
<div class="l-header"><a href="/">Valley Times</a><ul><li><a href="/a">News</a></li><li><a href="/b">Sports</a></li></ul></div>
<div class="l-container"><div class="l-main">
<h1 class="c-headline">Library levy passes by narrow margin</h1><div class="c-meta">By Ann Ortiz | June 5, 2024</div>
<div class="c-article__content">
<p data-gt>Voters approved a property tax levy for the county library system by fewer than 400 votes, according to unofficial results released early Wednesday.</p>
<p data-gt>The levy will raise about $3.2 million a year for seven years and will allow the system to reopen two branches that closed in 2021 and to extend evening hours at the main library.</p>
<div class="c-ad"><span>Advertisement</span></div>
<p data-gt>Library director Samuel Price thanked voters and said hiring for the reopened branches would begin this summer. "We heard very clearly that people want their neighborhood libraries back," he said.</p>
<p data-gt>Opponents had argued that the library should cut administrative costs before asking for more money. A spokesperson for the group said it would review the results before deciding whether to request a recount.</p>
</div>
<div id="conversation"><h3>Conversation</h3>
<div class="u-post"><b>oldtimer</b><p>I have lived in this town for thirty years and I can tell you that nobody at city hall ever listens to what residents actually say at these meetings, they just do what the developers want and then act surprised when people are angry about it.</p></div>
<div class="u-post"><b>reader2</b><p>Good news for the kids in the east end, who have had to take two buses to get to a library since the branch on Elm closed three years ago.</p></div>
</div>
<div class="c-list"><h3>Around the region</h3>
<div class="c-card"><a href="#">County fair returns with new livestock barn</a><p>The renovated barn can house twice as many animals as the old one, organizers said, and it will be open to visitors during the whole week of the fair.</p></div>
<div class="c-card"><a href="#">Road resurfacing to start on Route 12 next week</a><p>Crews will work overnight to limit traffic delays, and the state expects the project to be finished by the end of August if the weather holds.</p></div>
</div>
</div></div>
<div class="l-footer">© Valley Times</div></body></html>""",
    },
    {
        "id": "news-airport-routes",
        "url": "https://metrodaily.example/business/airport-nonstop-flights-20240611",
        "html": """<html><head><title>Airport adds nonstop flights to three cities - Metro Daily</title><meta property="og:title" content="Airport adds nonstop flights to three cities"></head><body>
<div id="top"><div class="logo">Metro Daily</div><div class="menu-items"><a href="#">Home</a><a href="#">Business</a><a href="#">Travel</a></div></div>
<div class="wrapper"><div class="col-8">
<h1>Airport adds nonstop flights to three cities</h1>
<div class="story-text">
<div class="paragraph" data-gt>The regional airport will add nonstop service to Denver, Nashville and Orlando starting in October, airport officials announced Monday.</div>
<div class="paragraph" data-gt>The new routes will be operated by two carriers that already fly from the airport, and each will run at least four times a week.</div>
<div class="dfp-slot">ADVERTISEMENT</div>
<div class="paragraph" data-gt>Airport director Lena Brooks said the additions were the result of two years of talks with airlines and a marketing agreement with the regional tourism board.</div>
<div class="paragraph" data-gt>Passenger numbers at the airport have grown by about 12 percent a year since 2021 but are still below their 2019 peak.</div>
</div>
</div>
<div class="col-4"><h4>Trending now</h4><ol><li><a href="#">Five things to know about the new school boundaries before the vote next week</a></li><li><a href="#">Restaurant inspections: three downtown spots cited for violations</a></li></ol></div>
</div><div class="bottom">Metro Daily © 2024 All rights reserved</div></body></html>""",
    },
    {
        "id": "blog-balcony-tomatoes",
        "url": "https://smallspacegardens.example/ten-years-of-balcony-tomatoes/",
        "html": """<html><head><title>Ten years of growing tomatoes on a balcony</title></head><body>
<div class="site-top"><a href="/">Small Space Gardens</a></div>
<section class="content">
<h1>Ten years of growing tomatoes on a balcony</h1>
<p data-gt>When I moved into a fourth-floor flat with a south-facing balcony, I assumed my vegetable growing days were over. Ten years later I harvest more tomatoes each summer than I did from my old garden.</p>
<p data-gt>The secret, if there is one, is choosing varieties bred for containers and giving them far bigger pots than seems reasonable. Forty litres per plant is my minimum now.</p>
<h2 data-gt>Watering is everything</h2>
<p data-gt>Pots dry out fast in the wind, so I water every morning in July and August and use saucers to catch the run-off. Irregular watering is the main cause of split fruit and blossom end rot.</p>
<p data-gt>I feed with a liquid tomato fertiliser once a week from the first flowers onwards, and stop in early September so the last fruit ripens before the nights get cold.</p>
<div class="about-me"><img src="me.jpg"><p>Hi, I'm Jo. I have been writing about small-space gardening since 2013, and my first book about container vegetables came out last spring. You can find me at garden shows around the country most weekends.</p></div>
<h3>You might also like</h3>
<ul class="also"><li><a href="#">How to grow strawberries in hanging baskets without them drying out in the summer heat</a></li><li><a href="#">The best compost for containers, tested over three growing seasons on my balcony</a></li></ul>
</section>
<div class="site-bottom">Small Space Gardens · <a href="#">Privacy</a></div>
</body></html>""",
    },
    {
        "id": "culture-carved-panels",
        "url": "https://culture-weekly.example/heritage/carved-panels-returned",
        "html": """<html><head><title>Museum returns carved panels to their village of origin</title></head><body>
<header><nav><a href="/">Culture Weekly</a></nav></header>
<main><article>
<h1>Museum returns carved panels to their village of origin</h1>
<h2 class="intro" data-gt>After a decade of negotiations, six wooden panels taken in the 1920s went home this week.</h2>
<p data-gt>The panels, carved in the eighteenth century for a meeting house, were handed over at a ceremony attended by several hundred residents and the museum's director.</p>
<p class="also-read"><strong>Also read:</strong> <a href="#">The long road to returning museum objects</a></p>
<p data-gt>Researchers say the panels were sold by a dealer who had no right to them, and the museum acknowledged in 2019 that they should be returned.</p>
<p data-gt>The village plans to display the panels in a new community building that is due to open next year, with funding from the regional government.</p>
</article></main>
<footer><p>Culture Weekly is published by a nonprofit arts foundation.</p></footer>
</body></html>""",
    },
]
