// PttmHooks card viewer: posts a hook request to the service's real CDS endpoint, shows the cards
// as an EHR would, and posts real feedback. Every value from a card is put into the page as text
// (textContent), except the detail, which the service renders from Markdown with raw HTML escaped
// and only http(s) links kept (/viewer/markdown). The page's Content-Security-Policy allows no
// inline script and no other origin besides.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);

  const INDICATORS = {
    critical: { label: 'Critical', icon: '\u25B2' },
    warning: { label: 'Warning', icon: '!' },
    info: { label: 'Info', icon: 'i' },
  };

  const REASONS = {
    200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
    405: 'Method Not Allowed', 412: 'Precondition Failed', 413: 'Payload Too Large',
    415: 'Unsupported Media Type', 500: 'Internal Server Error', 503: 'Service Unavailable',
  };

  let config = null;
  let cardCount = 0;

  /** Creates an element with attributes and children (strings become text nodes). */
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'class') node.className = value;
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  /** An absolute http(s) URL, or null: no javascript:, data: or relative targets from a card. */
  function webUrl(value) {
    try {
      const url = new URL(String(value));
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
    } catch {
      return null;
    }
  }

  function link(label, url) {
    const href = webUrl(url);
    return href
      ? el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, label)
      : el('span', {}, label);
  }

  function statusLine(response) {
    return `HTTP ${response.status} ${response.statusText || REASONS[response.status] || ''}`.trim();
  }

  /** The issues of an OperationOutcome answer (or the body's text when it is something else). */
  async function issuesOf(response) {
    const text = await response.text();
    try {
      const body = JSON.parse(text);
      if (body && body.resourceType === 'OperationOutcome' && Array.isArray(body.issue)) {
        return body.issue.map((issue) => ({
          diagnostics: issue.diagnostics || issue.code || 'No diagnostics given.',
          expression: Array.isArray(issue.expression) ? issue.expression.join(', ') : '',
        }));
      }
    } catch {
      // Not JSON: shown as text below.
    }
    return text ? [{ diagnostics: text.slice(0, 2000), expression: '' }] : [];
  }

  function problemBlock(title, issues) {
    return el('div', { class: 'problem' },
      el('p', {}, el('strong', {}, title)),
      issues.length === 0 ? null : el('ul', {}, issues.map((issue) => el('li', {},
        issue.expression ? [el('code', {}, issue.expression), ': '] : null,
        issue.diagnostics))));
  }

  class ViewerError extends Error {
    constructor(title, issues) {
      super(title);
      this.issues = issues;
    }
  }

  async function getJson(path) {
    const response = await fetch(path, { headers: { Accept: 'application/json' } });
    if (!response.ok) throw new ViewerError(`${path}: ${statusLine(response)}`, await issuesOf(response));
    return response.json();
  }

  /** The Authorization header value for a call to path, or null when none is needed or at hand. */
  async function authorizationFor(path) {
    const auth = config.authentication;
    if (!auth.required) return null;
    if (auth.developmentTokens) {
      const response = await fetch('/viewer/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ path }),
      });
      if (!response.ok) {
        throw new ViewerError(`The viewer could not sign a development token (${statusLine(response)})`, await issuesOf(response));
      }
      return `Bearer ${(await response.json()).token}`;
    }
    const pasted = $('bearer-token').value.trim();
    return pasted ? `Bearer ${pasted}` : null;
  }

  /** POSTs JSON text to one of the service's CDS endpoints, signed when authentication requires it. */
  async function postToService(path, text) {
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    const authorization = await authorizationFor(path);
    if (authorization) headers.Authorization = authorization;
    return fetch(path, { method: 'POST', headers, body: text });
  }

  function setResult(text, isError) {
    const status = $('result-status');
    status.textContent = text;
    status.classList.toggle('error', Boolean(isError));
  }

  async function renderDetail(container, markdown) {
    try {
      const response = await fetch('/viewer/markdown', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ markdown }),
      });
      if (!response.ok) throw new Error(statusLine(response));
      // Safe: rendered by the service with raw HTML escaped and only http(s) links kept.
      container.innerHTML = (await response.json()).html;
    } catch (error) {
      container.replaceChildren(
        el('p', { class: 'problem' }, `The detail could not be rendered (${error.message}); as written:`),
        el('pre', {}, markdown));
    }
  }

  function feedbackEntry(card, outcome, extra) {
    return { card: card.uuid, outcome, outcomeTimestamp: new Date().toISOString(), ...extra };
  }

  async function sendFeedback(card, entry, what, status, controls) {
    status.className = 'feedback-status';
    status.textContent = `Sending feedback: ${what}…`;
    controls.forEach((control) => { control.disabled = true; });
    try {
      const response = await postToService(config.service.feedbackPath, JSON.stringify({ feedback: [entry] }));
      if (!response.ok) {
        const issues = await issuesOf(response);
        status.className = 'feedback-status error';
        status.textContent = `Feedback refused (${statusLine(response)}): ${issues.map((i) => i.diagnostics).join(' ')}`;
        controls.forEach((control) => { control.disabled = false; });
        return;
      }
      status.className = 'feedback-status ok';
      status.textContent = `Feedback recorded by the service: ${what} (${statusLine(response)}).`;
    } catch (error) {
      status.className = 'feedback-status error';
      status.textContent = `Feedback not sent: ${error.message}${error.issues ? ' ' + error.issues.map((i) => i.diagnostics).join(' ') : ''}`;
      controls.forEach((control) => { control.disabled = false; });
    }
  }

  function renderCard(card) {
    const n = ++cardCount;
    const indicator = INDICATORS[card.indicator] || { label: String(card.indicator || 'unknown'), icon: '?' };
    const kind = INDICATORS[card.indicator] ? card.indicator : 'info';
    const article = el('article', {
      class: `card card--${kind}`,
      'aria-labelledby': `card-${n}-summary`,
      'data-card-uuid': card.uuid,
      'data-indicator': card.indicator,
    });

    article.append(
      el('p', { class: `indicator indicator--${kind}` }, el('span', { 'aria-hidden': 'true' }, `${indicator.icon} `), indicator.label),
      el('h3', { id: `card-${n}-summary`, class: 'summary' }, String(card.summary || '')));

    if (card.detail) {
      // A region of its own, reachable with Tab: its wide tables scroll sideways from the keyboard.
      const detail = el('div', { class: 'detail', role: 'region', tabindex: '0', 'aria-label': `Detail of card ${n}` },
        el('p', {}, 'Rendering the detail…'));
      article.append(detail);
      renderDetail(detail, String(card.detail));
    }

    if (card.source) {
      const topic = card.source.topic && (card.source.topic.display || card.source.topic.code);
      article.append(el('p', { class: 'source' }, 'Source: ', link(String(card.source.label || ''), card.source.url),
        topic ? ` (topic: ${topic})` : null));
    }

    const status = el('p', { class: 'feedback-status', role: 'status', 'aria-live': 'polite' });
    const controls = [];
    const canGiveFeedback = Boolean(card.uuid);

    if (Array.isArray(card.suggestions) && card.suggestions.length > 0) {
      article.append(el('h4', {}, 'Suggestions'));
      for (const suggestion of card.suggestions) {
        const label = String(suggestion.label || 'Suggestion');
        const button = el('button', {
          type: 'button',
          class: 'accept',
          'data-suggestion-uuid': suggestion.uuid,
          disabled: !canGiveFeedback || !suggestion.uuid,
        }, `Accept: ${label}`, suggestion.isRecommended ? ' (recommended)' : '');
        controls.push(button);
        button.addEventListener('click', () => sendFeedback(card,
          feedbackEntry(card, 'accepted', { acceptedSuggestions: [{ id: suggestion.uuid }] }),
          `accepted "${label}"`, status, controls));
        const actions = Array.isArray(suggestion.actions) ? suggestion.actions : [];
        article.append(el('div', { class: 'suggestion' }, button,
          actions.map((action) => el('p', { class: 'action' }, `${action.type || 'action'}: ${action.description || ''}`))));
      }
    }

    const reasons = Array.isArray(card.overrideReasons) ? card.overrideReasons : [];
    if (canGiveFeedback) {
      const select = el('select', { id: `card-${n}-reason`, name: 'reason' },
        el('option', { value: '' }, 'No reason given'),
        reasons.map((reason, i) => el('option', { value: String(i) }, String(reason.display || reason.code))));
      const comment = el('textarea', { id: `card-${n}-comment`, name: 'comment', rows: 2 });
      const submit = el('button', { type: 'submit', class: 'secondary' }, 'Override this card');
      controls.push(select, comment, submit);
      const form = el('form', { class: 'override-form' },
        el('fieldset', { class: 'override' },
          el('legend', {}, 'Override'),
          el('div', { class: 'field' }, el('label', { for: select.id }, 'Override reason'), select),
          el('div', { class: 'field' }, el('label', { for: comment.id }, 'Comment (optional)'), comment),
          submit));
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        const reason = select.value === '' ? null : reasons[Number(select.value)];
        const text = comment.value.trim();
        if (!reason && !text) {
          status.className = 'feedback-status error';
          status.textContent = 'Choose an override reason or write a comment (CDS Hooks asks for one of them).';
          return;
        }
        const overrideReason = {};
        if (reason) overrideReason.reason = { code: reason.code, system: reason.system, display: reason.display };
        if (text) overrideReason.userComment = text;
        sendFeedback(card, feedbackEntry(card, 'overridden', { overrideReason }),
          `overridden${reason ? ` ("${reason.display || reason.code}")` : ''}`, status, controls);
      });
      article.append(form);
    } else {
      article.append(el('p', { class: 'hint' }, 'This card has no uuid: no feedback can be given for it.'));
    }

    if (Array.isArray(card.links) && card.links.length > 0) {
      article.append(el('div', { class: 'card-links' }, el('h4', {}, 'Links'),
        el('ul', {}, card.links.map((l) => el('li', {}, link(String(l.label || l.url), l.url),
          l.type === 'smart' ? ' (SMART app: opens without launch context here)' : null)))));
    }

    article.append(status);
    return article;
  }

  async function send(text) {
    const cards = $('cards');
    cards.replaceChildren();
    setResult('Sending the hook request…', false);
    const started = performance.now();
    let response;
    try {
      response = await postToService(config.service.path, text);
    } catch (error) {
      setResult(error.message, true);
      if (error.issues) cards.append(problemBlock(error.message, error.issues));
      return;
    }
    const ms = Math.round(performance.now() - started);
    if (!response.ok) {
      const issues = await issuesOf(response);
      setResult(`${statusLine(response)}: the service refused the request (${ms} ms).`, true);
      cards.append(problemBlock(`The service answered ${statusLine(response)}`, issues));
      return;
    }
    const body = await response.json();
    const list = Array.isArray(body.cards) ? body.cards : [];
    setResult(`${statusLine(response)}: ${list.length === 0 ? 'no card' : list.length === 1 ? '1 card' : `${list.length} cards`} in ${ms} ms.`, false);
    if (list.length === 0) {
      cards.append(el('p', {}, 'The service returned no card: the rule found nothing to suggest for this patient.'));
    }
    for (const card of list) cards.append(renderCard(card));
    $('cards-heading').focus();
  }

  function describeSample(samples) {
    const chosen = samples.find((s) => s.id === $('sample').value);
    $('sample-description').textContent = chosen ? chosen.description : '';
  }

  async function start() {
    try {
      config = await getJson('/viewer/config');
    } catch (error) {
      $('auth-status').textContent = `The viewer cannot read its settings: ${error.message}`;
      return;
    }

    const auth = config.authentication;
    $('auth-status').textContent = !auth.required
      ? 'Authentication is not required on this instance: calls are sent without a token.'
      : auth.developmentTokens
        ? 'Authentication is required: each call is signed with the development client\'s key, as an EHR signs its calls.'
        : `Authentication is required and the viewer signs no tokens here (${auth.noTokensBecause}): paste a client JWT for each call.`;
    $('token-field').hidden = !(auth.required && !auth.developmentTokens);
    if (config.apiReference) {
      $('scalar-link').replaceChildren(', ', el('a', { href: config.apiReference }, 'Scalar API reference'));
    }

    let samples = [];
    try {
      samples = await getJson('/viewer/samples');
    } catch (error) {
      setResult(`The sample patients could not be loaded: ${error.message}`, true);
    }

    const select = $('sample');
    select.replaceChildren(...samples.map((s) => el('option', { value: s.id },
      `${s.id} (expected: ${s.expectedRecommendation}${s.expectedIndicator ? `, ${s.expectedIndicator}` : ''})`)));
    select.disabled = samples.length === 0;
    $('send-sample').disabled = samples.length === 0;
    describeSample(samples);
    select.addEventListener('change', () => describeSample(samples));

    $('sample-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const id = select.value;
      setResult(`Building the hook request for ${id}…`, false);
      try {
        const request = await getJson(`/viewer/samples/${encodeURIComponent(id)}/request`);
        const text = JSON.stringify(request, null, 2);
        $('request-body').value = text;
        await send(text);
      } catch (error) {
        setResult(error.message, true);
        if (error.issues) $('cards').replaceChildren(problemBlock(error.message, error.issues));
      }
    });

    $('request-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      await send($('request-body').value);
    });

    document.body.dataset.ready = 'true';
  }

  document.addEventListener('DOMContentLoaded', start);
})();
