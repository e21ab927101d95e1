"""The clustering board's services: clusters, moves, the unassigned pile, suggestions."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from facilitation.activities import services as activity_services
from facilitation.clustering import embedding, services
from facilitation.clustering.models import CardEmbedding, Cluster, Placement, SuggestionKind, SuggestionStatus
from facilitation.extensions import db
from facilitation.participation import services as participation_services
from facilitation.workshops.models import AuditEntry


def board_of(step):
    db.session.expire_all()
    return services.board(step, for_moderator=True)


def members(step) -> dict[str, list[str]]:
    """Label → card texts, the board as a person reads it."""
    data = board_of(step)
    texts = {card["id"]: card["text"] for card in data["cards"]}
    return {cluster["label"]: [texts[i] for i in cluster["card_ids"]] for cluster in data["clusters"]}


def unassigned(step) -> list[str]:
    data = board_of(step)
    texts = {card["id"]: card["text"] for card in data["cards"]}
    return [texts[i] for i in data["unassigned"]]


# -- what is on the board ------------------------------------------------------------------------------


def test_the_board_holds_the_approved_cards_of_its_sources(board_step, write_cards, owner, create_activity, workshop):
    approved = write_cards(["Mehr Personal", "Digitale Akte"])
    pending = write_cards(["Noch nicht freigegeben"], approve=False)
    hidden = write_cards(["Ausgeblendet"])
    participation_services.hide_card(owner, hidden[0])
    elsewhere = create_activity(workshop, kind="cards", config={"max_cards": 5})  # position 2, not a source
    write_cards(["Andere Frage"], step=elsewhere)

    data = board_of(board_step)

    assert [card["text"] for card in data["cards"]] == ["Mehr Personal", "Digitale Akte"]
    assert data["unassigned"] == [card.id for card in approved]
    assert data["clusters"] == []
    assert pending[0].id not in data["unassigned"]
    assert set(data["cards"][0]) == {"id", "activity_id", "column", "text", "is_edited"}, "no authorship"


def test_several_source_steps_in_agenda_order(owner, create_workshop, write_cards):
    workshop = create_workshop(owner=owner)
    for title in ("Erste Frage", "Zweite Frage"):
        activity_services.add_activity(owner, workshop, kind="cards", title=title, config={"max_cards": 5})
    board_step = activity_services.add_activity(
        owner, workshop, kind="clustering", title="Clustern", config={"sources": [1, 0]}
    )
    workshop.state = workshop.state.become(workshop.state.__class__.live)
    db.session.commit()
    second = write_cards(["Aus der zweiten"], step=workshop.activities[1])
    first = write_cards(["Aus der ersten"], step=workshop.activities[0])

    assert board_of(board_step)["unassigned"] == [first[0].id, second[0].id]


# -- clusters --------------------------------------------------------------------------------------------


def test_create_rename_recolour_delete(board_step, themed_cards, owner):
    cluster = services.create_cluster(owner, board_step, "  Personal ", card_ids=[themed_cards[0].id])
    assert (cluster.label, cluster.colour) == ("Personal", "blue")
    assert members(board_step) == {"Personal": ["Mehr Personal im ASD"]}

    services.rename_cluster(owner, cluster, "Fachkräfte")
    services.recolour_cluster(owner, cluster, "orange")
    assert (cluster.label, cluster.colour) == ("Fachkräfte", "orange")

    services.delete_cluster(owner, cluster)
    assert members(board_step) == {}
    assert len(unassigned(board_step)) == len(themed_cards), "the cards went back to the pile"
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-4:] == ["cluster.created", "cluster.renamed", "cluster.recoloured", "cluster.deleted"]


def test_new_clusters_take_the_next_colour_of_the_palette(board_step, owner):
    colours = [services.create_cluster(owner, board_step, f"C{i}").colour for i in range(len(services.PALETTE) + 1)]
    assert colours == [*services.PALETTE, services.PALETTE[0]]


@pytest.mark.parametrize(
    ("label", "code"), [("", "empty"), ("   ", "empty"), ("x" * (services.LABEL_MAX + 1), "too_long")]
)
def test_a_cluster_needs_a_short_name(board_step, owner, label, code):
    with pytest.raises(services.ClusteringError) as error:
        services.create_cluster(owner, board_step, label)
    assert error.value.code == code


def test_only_palette_colours(board_step, owner):
    cluster = services.create_cluster(owner, board_step, "Personal")
    with pytest.raises(services.ClusteringError):
        services.recolour_cluster(owner, cluster, "#ff0000")


def test_clusters_only_on_a_clustering_step(cards_step, owner):
    with pytest.raises(services.ClusteringError) as error:
        services.create_cluster(owner, cards_step, "Personal")
    assert error.value.code == "wrong_step"


def test_cards_must_be_approved_cards_of_the_sources(board_step, write_cards, owner):
    pending = write_cards(["Wartet"], approve=False)
    with pytest.raises(services.ClusteringError) as error:
        services.create_cluster(owner, board_step, "Personal", card_ids=[pending[0].id])
    assert error.value.code == "not_found"
    with pytest.raises(services.ClusteringError):
        services.move_card(owner, board_step, 999999, None)
    assert db.session.scalar(select(func.count(Cluster.id))) == 0, "a refused command leaves nothing behind"


def test_move_cards_between_clusters_and_the_pile(board_step, themed_cards, owner):
    a, b, c = themed_cards[:3]
    personal = services.create_cluster(owner, board_step, "Personal", card_ids=[a.id, b.id])
    other = services.create_cluster(owner, board_step, "Anderes")

    services.move_card(owner, board_step, c.id, personal, position=0)
    assert members(board_step)["Personal"] == [c.text, a.text, b.text]

    services.move_card(owner, board_step, a.id, other)
    assert members(board_step) == {"Personal": [c.text, b.text], "Anderes": [a.text]}

    services.move_card(owner, board_step, a.id, None)
    assert a.text in unassigned(board_step)
    assert members(board_step)["Anderes"] == []

    services.move_card(owner, board_step, b.id, personal, position=99)  # clamped: to the end
    assert members(board_step)["Personal"] == [c.text, b.text]


def test_a_card_sits_in_one_cluster_per_step_at_most(board_step, themed_cards, owner):
    first = services.create_cluster(owner, board_step, "Eins", card_ids=[themed_cards[0].id])
    second = services.create_cluster(owner, board_step, "Zwei")
    services.move_card(owner, board_step, themed_cards[0].id, second)
    assert db.session.scalar(select(func.count(Placement.id))) == 1

    db.session.add(Placement(activity_id=board_step.id, cluster_id=first.id, card_id=themed_cards[0].id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_merge_clusters(board_step, themed_cards, owner):
    a = services.create_cluster(owner, board_step, "A", card_ids=[themed_cards[0].id])
    b = services.create_cluster(owner, board_step, "B", card_ids=[themed_cards[1].id, themed_cards[2].id])
    c = services.create_cluster(owner, board_step, "C", card_ids=[themed_cards[3].id])

    services.merge_clusters(owner, a, [b, c], label="Personal und mehr")

    assert members(board_step) == {"Personal und mehr": [card.text for card in themed_cards[:4]]}
    with pytest.raises(services.ClusteringError):
        services.merge_clusters(owner, a, [a])


def test_split_moves_the_chosen_cards_into_a_new_cluster_after_it(board_step, themed_cards, owner):
    ids = [card.id for card in themed_cards[:6]]
    mixed = services.create_cluster(owner, board_step, "Gemischt", card_ids=ids)
    last = services.create_cluster(owner, board_step, "Letztes")

    new = services.split_cluster(owner, mixed, ids[3:], "Digitale Akte")

    assert members(board_step) == {
        "Gemischt": [card.text for card in themed_cards[:3]],
        "Digitale Akte": [card.text for card in themed_cards[3:6]],
        "Letztes": [],
    }
    assert new.position == mixed.position + 1 < last.position
    with pytest.raises(services.ClusteringError):
        services.split_cluster(owner, mixed, [themed_cards[6].id], "Nicht drin")
    with pytest.raises(services.ClusteringError):
        services.split_cluster(owner, mixed, [], "Leer")


def test_move_cluster_reorders_the_board(board_step, owner):
    _a, _b, c = (services.create_cluster(owner, board_step, label) for label in "ABC")
    services.move_cluster(owner, c, 0)
    assert [cluster["label"] for cluster in board_of(board_step)["clusters"]] == ["C", "A", "B"]


def test_a_hidden_card_leaves_the_board_and_returns(board_step, themed_cards, owner):
    cluster = services.create_cluster(owner, board_step, "Personal", card_ids=[themed_cards[0].id])
    participation_services.hide_card(owner, themed_cards[0])
    assert board_of(board_step)["clusters"][0]["card_ids"] == []
    participation_services.approve_card(owner, themed_cards[0])
    assert board_of(board_step)["clusters"][0]["card_ids"] == [themed_cards[0].id]
    assert cluster.id == board_of(board_step)["clusters"][0]["id"]


def test_changes_are_published_to_the_screens(board_step, themed_cards, owner, published):
    services.create_cluster(owner, board_step, "Personal", card_ids=[themed_cards[0].id])

    sent = [(event, room, payload) for event, payload, room in published if event == "board_changed"]
    rooms = {room for _event, room, _payload in sent}
    assert rooms == {f"workshop:{board_step.workshop_id}:projector", f"workshop:{board_step.workshop_id}:moderators"}
    projector = next(payload for _e, room, payload in sent if room.endswith("projector"))
    console = next(payload for _e, room, payload in sent if room.endswith("moderators"))
    assert "suggestions" not in projector
    assert "suggestions" in console
    assert projector["clusters"][0]["count"] == 1


# -- suggestions -----------------------------------------------------------------------------------------


def test_suggestions_propose_and_move_nothing(board_step, themed_cards, owner):
    made = services.suggest(owner, board_step)

    groups = [s for s in made if s.kind is SuggestionKind.group]
    proposed = [{card.text for card in themed_cards if card.id in s.card_ids} for s in groups]
    assert set(map(frozenset, proposed)) == {frozenset(services_texts) for services_texts in (PERSONAL, DIGITAL)}
    assert all(len(s.card_ids) >= 3 for s in groups)
    assert "Kaffee in den Pausen" not in {text for texts in proposed for text in texts}, "left unassigned"
    assert sorted(s.label for s in groups) == ["ASD · Personal", "Akte"]
    assert members(board_step) == {}, "nothing moved"
    assert len(board_of(board_step)["suggestions"]) == len(made)


def test_accept_a_suggestion_creates_the_cluster(board_step, themed_cards, owner):
    made = services.suggest(owner, board_step)
    suggestion = next(s for s in made if themed_cards[0].id in s.card_ids)

    cluster = services.accept_suggestion(owner, suggestion, label="Personal")

    assert suggestion.status is SuggestionStatus.accepted
    assert members(board_step) == {"Personal": PERSONAL}
    assert cluster.label == "Personal"
    assert suggestion.id not in [s["id"] for s in board_of(board_step)["suggestions"]]
    with pytest.raises(services.ClusteringError):
        services.accept_suggestion(owner, suggestion)


def test_reject_a_suggestion_is_not_proposed_again(board_step, themed_cards, owner):
    made = services.suggest(owner, board_step)
    rejected = next(s for s in made if themed_cards[0].id in s.card_ids)
    services.reject_suggestion(owner, rejected)

    again = services.suggest(owner, board_step)

    assert sorted(rejected.card_ids) not in [sorted(s.card_ids) for s in again]
    assert members(board_step) == {}


def test_accept_and_reject_single_cards_of_a_suggestion(board_step, themed_cards, owner):
    suggestion = next(s for s in services.suggest(owner, board_step) if themed_cards[3].id in s.card_ids)
    digital = [card for card in themed_cards if card.id in suggestion.card_ids]

    services.reject_suggested_card(owner, suggestion, digital[0].id)
    assert digital[0].text in unassigned(board_step)
    cluster = services.accept_suggested_card(owner, suggestion, digital[1].id)
    assert members(board_step) == {suggestion.label: [digital[1].text]}
    assert suggestion.status is SuggestionStatus.pending, "one card is still open"
    assert board_of(board_step)["suggestions"][-1]["card_ids"] == [digital[2].id]

    services.accept_suggestion(owner, suggestion)  # the rest joins the same cluster
    assert members(board_step) == {suggestion.label: [digital[1].text, digital[2].text]}
    assert suggestion.status is SuggestionStatus.accepted
    assert cluster.id == suggestion.cluster_id
    with pytest.raises(services.ClusteringError):
        services.reject_suggested_card(owner, suggestion, digital[0].id)


def test_cards_placed_by_hand_are_left_where_they_are(board_step, themed_cards, owner):
    suggestion = next(s for s in services.suggest(owner, board_step) if themed_cards[0].id in s.card_ids)
    by_hand = services.create_cluster(owner, board_step, "Von Hand", card_ids=[themed_cards[0].id])

    services.accept_suggestion(owner, suggestion, label="Personal")

    assert members(board_step)["Von Hand"] == [themed_cards[0].text]
    assert members(board_step)["Personal"] == PERSONAL[1:]
    assert by_hand.id != suggestion.cluster_id


def test_re_proposing_keeps_accepted_work(board_step, themed_cards, owner, write_cards):
    suggestion = next(s for s in services.suggest(owner, board_step) if themed_cards[0].id in s.card_ids)
    services.accept_suggestion(owner, suggestion, label="Personal")
    more = write_cards(["Personalbedarf im ASD decken", "ASD-Personal aufstocken", "Mehr Personal für den ASD"])

    for granularity in (-2, 2, 0):
        again = services.suggest(owner, board_step, granularity)
        accepted_cards = {card.id for card in themed_cards[:3]}
        assert not any(accepted_cards & set(s.card_ids) for s in again), "accepted cards are not proposed again"
        assert members(board_step)["Personal"] == PERSONAL
    assert {s.granularity for s in services.pending_suggestions(board_step)} == {0}
    assert any(set(s.card_ids) & {card.id for card in more} for s in services.pending_suggestions(board_step))


def test_themes_propose_merging_clusters(board_step, write_cards, owner):
    cards = write_cards([*PERSONAL, "Mehr Personal", "Personal im ASD", "ASD-Personal", "Digitale Akte"])
    first = services.create_cluster(owner, board_step, "Eins", card_ids=[c.id for c in cards[:3]])
    second = services.create_cluster(owner, board_step, "Zwei", card_ids=[c.id for c in cards[3:6]])
    services.create_cluster(owner, board_step, "Drei", card_ids=[cards[6].id])

    merges = [s for s in services.suggest(owner, board_step, granularity=-2) if s.kind is SuggestionKind.merge]

    assert [sorted(s.cluster_ids) for s in merges] == [sorted([first.id, second.id])]
    services.accept_suggestion(owner, merges[0])
    assert len(members(board_step)) == 2
    assert sorted(next(iter(members(board_step).values()))) in (sorted(c.text for c in cards[:6]), [cards[6].text])


def test_suggestions_with_the_model_store_each_vector_once(board_step, themed_cards, owner, app):
    if not embedding.is_e5_available():
        pytest.skip("the e5 model is not installed")
    app.config["CLUSTERING_ENGINE"] = "auto"

    made = services.suggest(owner, board_step)

    assert made and all(s.engine == "e5" for s in made)
    rows = db.session.scalars(select(CardEmbedding)).all()
    assert sorted(row.card_id for row in rows) == sorted(card.id for card in themed_cards)
    assert {len(row.vector) for row in rows} == {384 * 4}
    first = {row.card_id: row.created_at for row in rows}

    participation_services.edit_card_as_moderator(owner, themed_cards[0], "Mehr Personal im ASD, bitte")
    services.suggest(owner, board_step)

    db.session.expire_all()
    rows = db.session.scalars(select(CardEmbedding)).all()
    assert len(rows) == len(themed_cards)
    edited = next(row for row in rows if row.card_id == themed_cards[0].id)
    assert edited.text_hash == embedding.text_hash("Mehr Personal im ASD, bitte"), "a corrected text is embedded again"
    assert {row.card_id: row.created_at for row in rows if row.card_id != themed_cards[0].id} == {
        k: v for k, v in first.items() if k != themed_cards[0].id
    }


PERSONAL = ["Mehr Personal im ASD", "Personal im ASD aufstocken", "Der ASD braucht mehr Personal"]
DIGITAL = ["Digitale Akte für alle Ämter", "Die digitale Akte endlich einführen", "Digitale Akte statt Papier"]
