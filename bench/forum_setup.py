"""Set up the benchmark's workshop through the services, in the server's environment.

    DATABASE_URL=... python -m bench.forum_setup [--migrate]     # prints one JSON line

Creates the moderator account and a workshop (check-in, a card step, a dot vote), makes the moderator
its owner, and prints ``{"code", "key", "email", "password", "steps": {"checkin", "cards", "vote"}}``.
Run by ``bench.forum_load`` with the same environment as the server; ``--migrate`` first creates or
upgrades the schema (``flask db upgrade``).
"""

import json
import secrets
import sys

import flask_migrate

from facilitation import create_app
from facilitation.accounts import services as account_services
from facilitation.activities import services as activity_services

ORGANISATIONS = [
    "Jugendamt Landkreis Rostock",
    "Jugendamt Hansestadt Rostock",
    "Jugendamt Landkreis Vorpommern-Greifswald",
    "Jugendamt Landeshauptstadt Schwerin",
    "Freier Träger",
    "Landesjugendamt",
    "Schule",
    "Hochschule",
]
ROLES = ["Leitung", "Fachkraft", "Verwaltung"]
COLUMNS = ["Erhalten", "Zurücklassen", "Neu gestalten"]
TOPICS = [
    "Krisenmanagement",
    "Personalgewinnung",
    "Führung im Jugendamt",
    "Kinderschutzkoordination",
    "Digitalisierung",
    "Inklusion",
    "Beteiligung junger Menschen",
    "Fachkräftebindung",
    "Netzwerke im Sozialraum",
    "Qualitätsentwicklung",
]

#: Cards: as many per phone as a step allows, so that long or fast runs never run out (phones edit
#: their cards once they reach the limit).
MAX_CARDS = 50
MAX_PER_COLUMN = 20
DOTS = 5


def definition() -> dict:
    return {
        "format": activity_services.DEFINITION_FORMAT,
        "version": activity_services.DEFINITION_VERSION,
        "workshop": {"title": "Lasttest Zukunftsforum"},
        "activities": [
            {
                "kind": "checkin",
                "title": "Wer ist heute dabei?",
                "prompt": "",
                "config": {"organisations": ORGANISATIONS, "roles": ROLES},
            },
            {
                "kind": "cards",
                "title": "Erhalten – Zurücklassen – Neu gestalten",
                "prompt": "Was sollte erhalten bleiben, was zurückgelassen, was neu gestaltet werden?",
                "config": {
                    "columns": COLUMNS,
                    "max_cards": MAX_CARDS,
                    "max_per_column": MAX_PER_COLUMN,
                    "max_length": 280,
                    "is_premoderated": True,
                },
            },
            {
                "kind": "vote",
                "title": "Zukunftsthemen",
                "prompt": "Verteilen Sie Ihre Punkte.",
                "config": {
                    "method": "dots",
                    "items_from": "fixed",
                    "options": TOPICS,
                    "dots": DOTS,
                    "max_per_option": 2,
                },
            },
        ],
    }


def main() -> None:
    app = create_app()
    with app.app_context():
        if "--migrate" in sys.argv[1:]:  # one interpreter start instead of two (``flask db upgrade``)
            flask_migrate.upgrade()
        # A new account per run, so that a database used before (``--url``) does not get in the way.
        email, password = f"bench-{secrets.token_hex(4)}@example.org", secrets.token_urlsafe(12)
        account = account_services.create_account(email, password, name="Lasttest")
        workshop = activity_services.import_definition(account, definition())
        steps = {activity.kind: activity.id for activity in workshop.activities}
        print(
            json.dumps(
                {
                    "code": workshop.join_code,
                    "key": workshop.screen_key,
                    "email": email,
                    "password": password,
                    "steps": steps,
                    "columns": COLUMNS,
                    "organisations": ORGANISATIONS,
                    "roles": ROLES,
                    "max_cards": MAX_CARDS,
                    "max_per_column": MAX_PER_COLUMN,
                    "dots": DOTS,
                }
            )
        )


if __name__ == "__main__":
    main()
