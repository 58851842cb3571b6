"use client";

/** The README's five lines for using a downloaded model with plain skops (tests/api/test_readme_snippet.py runs them). */
const SNIPPET = `import pandas as pd, skops.io as sio
trusted = sio.get_untrusted_types(file="model.skops")  # the types this file names, all on the allowlist
bundle = sio.load("model.skops", trusted=trusted)
model, labels = bundle["pipeline"], bundle["info"]["classes"]
print([labels[int(code)] for code in model.predict(pd.read_csv("rows.csv"))])`;

const REGRESSION = SNIPPET.replace(/\n[^\n]*$/, '\nprint(list(model.predict(pd.read_csv("rows.csv"))))');

export function SkopsSnippet({ classifier }: { classifier: boolean }) {
  return (
    <details className="card" data-testid="skops-snippet">
      <summary style={{ cursor: "pointer", fontWeight: 600 }}>Use the downloaded file in Python</summary>
      <p className="muted small">
        Save it as <code>model.skops</code> beside <code>rows.csv</code> (the feature columns). Plain <code>skops</code> and scikit-learn load it; the platform checked every type it
        names against its allowlist before keeping it.{classifier ? " The pipeline predicts class codes; the file's labels name them." : ""}
      </p>
      <pre className="mono small" style={{ whiteSpace: "pre-wrap", background: "#f6f7f9", padding: 10, borderRadius: 6 }}>
        {classifier ? SNIPPET : REGRESSION}
      </pre>
    </details>
  );
}
