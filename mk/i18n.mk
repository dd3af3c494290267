# The gettext catalogues of the answers' sentences (wisphub_api/translations, README "Languages").
# Included by the top-level Makefile. `make translations` extracts every marked sentence into
# messages.pot, merges it into each language's messages.po, and compiles the .mo files the app
# reads (committed, so that a fresh clone, CI and the image need no build step).

VENV ?= .venv
PYBABEL ?= $(VENV)/bin/pybabel
I18N_DIR = wisphub_api/translations
# The markers of wisphub_api/translatable.py next to gettext's own names (tests/test_i18n.py
# extracts with the same).
I18N_KEYWORDS = -k N_ -k N_plural:1,2
I18N_EXTRACT = $(PYBABEL) extract --no-location --sort-output --omit-header -F babel.cfg \
	$(I18N_KEYWORDS) -o $(I18N_DIR)/messages.pot wisphub_api

.PHONY: translations

translations: install ## Extract, merge (es, en) and compile the catalogues of the answers' sentences
	$(I18N_EXTRACT)
	$(PYBABEL) update --no-fuzzy-matching --ignore-pot-creation-date -i $(I18N_DIR)/messages.pot -d $(I18N_DIR)
	$(PYBABEL) compile --statistics -d $(I18N_DIR)
