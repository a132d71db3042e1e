/** Learned patterns: for each service and fault signature, which plan worked and how often. */
import { api } from '../api.js';
import { h, timeEl, bar } from '../dom.js';

export async function render() {
  const patterns = ((await api.patterns()) ?? []).slice().sort((a, b) => String(a.service).localeCompare(String(b.service)) || b.confidence - a.confidence);
  const node = h(
    'div',
    { class: 'page page-patterns' },
    h(
      'div',
      { class: 'page-head' },
      h('h1', { text: 'Learned patterns' }),
      h('p', { class: 'page-sub', text: 'What fixed each kind of fault before. Phase 1 tries the most confident plan first; old outcomes count less over time.' }),
    ),
    patterns.length === 0
      ? h('div', { class: 'empty-state' }, h('p', { text: 'Nothing learned yet: patterns appear after the first verified fixes.' }))
      : h(
          'table',
          { class: 'table patterns-table', id: 'patterns' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Service', 'Signature', 'Action', 'Successes', 'Failures', 'Confidence', 'Last used'].map((title) => h('th', { scope: 'col', text: title })),
            ),
          ),
          h(
            'tbody',
            {},
            patterns.map((pattern) => {
              const confidence = Number(pattern.confidence) || 0;
              const tone = confidence >= 0.5 ? 'ok' : confidence >= 0.2 ? 'warn' : 'bad';
              return h(
                'tr',
                {},
                h('td', { dataset: { label: 'Service' } }, h('strong', { text: pattern.service })),
                h('td', { dataset: { label: 'Signature' } }, h('code', { text: pattern.signature })),
                h('td', { class: 'cell-plan', dataset: { label: 'Action' } }, h('code', { class: 'plan', text: pattern.planKey })),
                h('td', { class: 'num tone-text-ok', dataset: { label: 'Successes' }, text: String(pattern.successes) }),
                h('td', { class: ['num', pattern.failures > 0 && 'tone-text-bad'], dataset: { label: 'Failures' }, text: String(pattern.failures) }),
                h(
                  'td',
                  { class: 'cell-confidence', dataset: { label: 'Confidence' } },
                  h('span', { class: 'confidence' }, h('span', { class: 'confidence-value', text: `${Math.round(confidence * 100)}%` }), bar(confidence, tone)),
                ),
                h('td', { dataset: { label: 'Last used' } }, timeEl(pattern.lastUsed)),
              );
            }),
          ),
        ),
  );
  return { title: 'Patterns', node };
}
