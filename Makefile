# RSEdit: `make test` and `make demo` set everything up (Debian packages, .venv, pip pins) and are idempotent.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SITE := $(CURDIR)/$(VENV)/lib/python3.11/site-packages
PLUGINS := $(CURDIR)/build/plugins
DATA := $(abspath ../shared/data)
DEMO_OUT := $(CURDIR)/build/demo
VERSION := $(shell sed -n 's/^version=//p' metadata.txt)
# QGIS runs the plugin in its own Python: the venv's packages reach it through PYTHONPATH.
QGIS_ENV := QT_QPA_PLATFORM=offscreen QGIS_PLUGINPATH=$(PLUGINS) PYTHONPATH=$(SITE)

.PHONY: bootstrap test demo bench-deps package translations i18n-update clean

bootstrap:
	@bash scripts/bootstrap.sh
	@mkdir -p $(PLUGINS) && [ -L $(PLUGINS)/rsedit ] || ln -sfn ../.. $(PLUGINS)/rsedit

translations: bootstrap
	@for ts in i18n/*.ts; do [ -e "$$ts" ] || continue; qm=$${ts%.ts}.qm; \
	  [ "$$qm" -nt "$$ts" ] || lrelease -qt=5 -silent "$$ts" -qm "$$qm"; done

test: bootstrap translations
	$(PY) -m pytest tests -q -p no:cacheprovider

demo: bootstrap translations
	@bash scripts/demo.sh "$(DATA)" "$(DEMO_OUT)"

# the benchmarks' own packages (bench/requirements.txt: OpenCV's inpainting for bench/regeneration.py), not the plugin's
bench-deps: bootstrap
	@$(PY) -c "import cv2; cv2.xphoto" 2>/dev/null || $(PY) -m pip install -q -r bench/requirements.txt

package: translations
	$(PY) scripts/package.py --out dist/rsedit-$(VERSION).zip

clean:
	rm -rf build dist

# regenerate the translation sources from the code (pylupdate5), then fill in the German strings
i18n-update:
	pylupdate5 -noobsolete plugin.py ui/*.py ui/algorithms/*.py -ts i18n/rsedit_de.ts
	python3 scripts/translate_de.py i18n/rsedit_de.ts
