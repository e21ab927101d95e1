"""In the real browser: the results page shows markup, script, Markdown, CSS and formulas typed into
cards, cluster names, vote options and recommendations as text, and runs none of it."""

from playwright.sync_api import Page, expect

from facilitation.accounts import services as account_services
from facilitation.extensions import db
from tests.exports import hostile


def test_the_results_page_runs_nothing_participants_typed(page: Page, live_server, moderator, login_as, make_app):
    # The hostile workshop, built through the services straight into the live server's database.
    app = make_app(schema=False, SQLALCHEMY_DATABASE_URI=live_server.database_url)
    with app.app_context():
        owner = account_services.find_account(moderator.email)
        forum = hostile.build(owner)
        workshop_id = forum.workshop.id
        vote_id = forum.steps[hostile.VOTE_TITLE].id
        texts = forum.texts
        db.session.remove()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login_as(page)
    page.goto(f"{live_server.url}/workshops/{workshop_id}/results")

    main = page.locator("main")
    expect(main).to_be_visible()  # the <style> card hid nothing
    for text in texts:
        expect(main).to_contain_text(text)
    # The recommendation's text keeps its line break and its tag as text.
    expect(main).to_contain_text("<img src=x onerror=window.__xss=8>")
    # Nothing ran: no handler, no script, no dialog; no element came from a card.
    assert page.evaluate("() => window.__xss") is None
    assert dialogs == []
    assert page.locator("main script, main style, main img[src='x'], main svg[onload]").count() == 0
    assert page.locator("main b[style], main u, main i").count() == 0
    assert page.evaluate("() => getComputedStyle(document.body).display") != "none"

    # The vote's own results page, its chart drawn from the same options.
    page.goto(f"{live_server.url}/workshops/{workshop_id}/steps/{vote_id}/results")
    main = page.locator("main")
    for text in (*hostile.OPTIONS[:2], hostile.VOTE_TITLE):
        expect(main).to_contain_text(text)
    page.wait_for_function("() => document.querySelector('.results-chart img').naturalWidth > 0")
    assert page.evaluate("() => window.__xss") is None
    assert dialogs == []
    assert page.locator("main script, main i, main b").count() == 0
