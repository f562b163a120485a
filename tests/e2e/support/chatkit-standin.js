/**
 * Local stand-in for OpenAI's ChatKit web component script (chatkit.js from the ChatKit CDN,
 * unreachable here and closed source). Served by the end-to-end tests in place of the CDN URL,
 * after `window.__chatkitProtocol` (the valibot schemas of shared/chatkit.ts, bundled by
 * ./browser.ts), so it checks every answer against the same protocol the worker is built to.
 *
 * The element follows the public contract of `<openai-chatkit>` that @openai/chatkit-react uses:
 *  - `customElements.define('openai-chatkit', …)` with `setOptions(options)` (replaces all options);
 *  - `api` is either hosted `{ getClientSecret }` or custom `{ url, domainKey, fetch? }`, and mixing
 *    them is refused like the real runtime does (`InvalidFrameParamsError`);
 *  - DOM events `chatkit.ready`, `chatkit.error`, `chatkit.effect`, `chatkit.response.start/end`,
 *    `chatkit.thread.change` with the documented `detail` shapes.
 *
 * In custom mode it speaks ChatKit's server protocol through `api.fetch` (README "ChatKit: two
 * modes"): `threads.create` / `threads.add_user_message` (streams; the stop button aborts one),
 * `threads.list` and `items.list` followed page by page through `after`, `threads.get_by_id`,
 * `threads.update` (rename), `threads.delete`, `items.feedback`, `threads.retry_after_item` (a Retry
 * button under each answer when `threadItemActions.retry` is on). Opening a thread lists its items
 * again through `items.list`, which must agree with what `threads.get_by_id` returned. It opens
 * `initialThread`, has the element method `setThreadId`, and emits `chatkit.thread.change` when the
 * thread changes. Widget items are drawn from their component tree (ListView, ListViewItem, Card,
 * Row, Col, Box, Text, Title, Caption, Badge, Icon, Spacer, Divider, Button); a Button's
 * `onClickAction` (handler `server`) is sent as `threads.custom_action` `{thread_id, item_id,
 * action: {type, payload}}`, or as `threads.sync_custom_action` when the action says
 * `streaming: false`, and the `thread.item.replaced` / `updated_item` that comes back is drawn in
 * place. A replaced item the client never showed is a protocol error.
 *
 * It is strict where the real client is unknown: every protocol error is recorded in
 * `window.__chatkitStandin.protocolErrors` and reported to the test (`window.__e2eReportProblem`,
 * see ./page-problems.ts), which fails it. A protocol error is a wrong `Content-Type`, a frame that
 * is not exactly one `data: <json>` line, an event or document that does not match the schemas
 * (unknown event types included), and, per stream: anything after `error`; an `error` after the
 * answer was complete; `thread.created` anywhere but first; an item added twice, or before
 * `stream_options`; an update for an item never added or already done; a text delta or part done
 * before its `content_part.added`; an item done with a content part still open; an item removed
 * that neither this stream nor the thread shown when it began had; and an added item never done or removed when the stream ends. Items and
 * threads repeated across pages are errors too.
 */
(() => {
  const record = { options: null, secrets: [], requests: [], events: [], errors: [], protocolErrors: [] };
  window.__chatkitStandin = record;
  /** One thread or item per page, so that following `after` is exercised on every listing. */
  const PAGE_SIZE = 1;

  const protocolError = (message) => {
    record.protocolErrors.push(message);
    if (typeof window.__e2eReportProblem === 'function') void window.__e2eReportProblem('protocol', message);
  };

  /** Checks `value` against a schema of shared/chatkit.ts; a mismatch is a protocol error. */
  const conforms = (shape, value, what) => {
    const protocol = window.__chatkitProtocol;
    if (!protocol) {
      protocolError('the protocol schemas (window.__chatkitProtocol) were not loaded before the stand-in');
      return false;
    }
    const problem = protocol.problemWith(shape, value);
    if (problem) protocolError(`${what}: ${problem}`);
    return problem === null;
  };

  const textOf = (item) => {
    if (item.type === 'user_message')
      return item.content
        .filter((p) => p.type === 'input_text')
        .map((p) => p.text)
        .join('');
    if (item.type === 'assistant_message') return item.content.map((p) => p.text).join('');
    if (item.type === 'workflow') return item.workflow.tasks.map((t) => t.title || t.content || '').join(' · ');
    if (item.type === 'widget') return item.copy_text || '';
    return '';
  };

  /** Styles for the widget components drawn below (layout only: enough to see and click them). */
  const BOX_STYLE = { Row: 'display:flex;flex-direction:row', Col: 'display:flex;flex-direction:column', Box: 'display:flex' };

  /**
   * Draws one widget component (the tree validated against shared/chatkit-widgets.ts already);
   * `onAction(action)` runs for a Button's or ListViewItem's `onClickAction`.
   */
  const drawWidget = (component, onAction) => {
    const el = document.createElement(
      component.type === 'Button' ? 'button' : component.type === 'ListView' ? 'ul' : component.type === 'ListViewItem' ? 'li' : 'div',
    );
    el.dataset.widget = component.type;
    if (component.key) el.dataset.widgetKey = component.key;
    const children = Array.isArray(component.children) ? component.children : [];
    switch (component.type) {
      case 'ListView':
        el.style.cssText = 'list-style:none;margin:4px 0;padding:6px;border:1px solid #d1d5db;border-radius:8px;max-width:520px';
        if (component.status) {
          const status = document.createElement('div');
          status.dataset.widget = 'status';
          status.style.cssText = 'font-weight:600;margin-bottom:4px';
          status.textContent = component.status.text;
          el.append(status);
        }
        break;
      case 'Card':
        el.style.cssText = 'margin:4px 0;padding:8px;border:1px solid #d1d5db;border-radius:8px;max-width:520px';
        break;
      case 'ListViewItem':
        el.style.cssText = `display:flex;align-items:${component.align || 'center'};gap:${(component.gap || 2) * 4}px;padding:4px 0;border-top:1px solid #f3f4f6`;
        break;
      case 'Row':
      case 'Col':
      case 'Box':
        el.style.cssText = `${BOX_STYLE[component.type]};gap:${(component.gap || 0) * 4}px;${component.flex ? `flex:${component.flex};` : ''}`;
        break;
      case 'Text':
      case 'Title':
      case 'Caption':
        el.textContent = component.value;
        if (component.lineThrough) {
          el.style.textDecoration = 'line-through';
          el.dataset.lineThrough = 'true';
        }
        if (component.type === 'Caption') el.style.cssText += ';font-size:12px;color:#6b7280';
        if (component.type === 'Title') el.style.cssText += ';font-weight:600';
        break;
      case 'Badge':
        el.textContent = component.label;
        break;
      case 'Icon':
        el.dataset.icon = component.name;
        el.textContent = { 'check-circle-filled': '●', 'empty-circle': '○', check: '✓' }[component.name] || '•';
        break;
      case 'Spacer':
        el.style.flex = '1';
        break;
      case 'Divider':
        el.style.borderTop = '1px solid #e5e7eb';
        break;
      case 'Button':
        el.type = 'button';
        el.textContent = component.label || '';
        el.disabled = component.disabled === true;
        break;
      default:
        protocolError(`widget component ${component.type} is not drawn by the stand-in`);
    }
    for (const child of children) el.append(drawWidget(child, onAction));
    const action = component.onClickAction;
    if (action) {
      el.dataset.actionType = action.type;
      el.addEventListener('click', (event) => {
        event.stopPropagation();
        onAction(action);
      });
    }
    return el;
  };

  /** The order rules for one streamed response (see the header). */
  class StreamOrder {
    /** `shown`: ids of the items the client showed when the stream began (a retry removes some). */
    constructor(requestType, shown = []) {
      this.requestType = requestType;
      this.shown = new Set(shown);
      this.count = 0;
      this.errored = false;
      this.answered = false;
      this.streamOptions = false;
      /** item id → { type, state: 'open' | 'done' | 'removed', parts: Map<index, 'open' | 'done'> } */
      this.items = new Map();
    }

    check(event) {
      const at = `${this.requestType} event ${this.count} (${event.type})`;
      this.count += 1;
      if (this.errored) protocolError(`${at}: after an error event`);
      switch (event.type) {
        case 'thread.created':
          if (this.count !== 1 || this.requestType !== 'threads.create') protocolError(`${at}: thread.created is only the first event of threads.create`);
          break;
        case 'stream_options':
          this.streamOptions = true;
          break;
        case 'thread.item.added': {
          if (this.items.has(event.item.id)) protocolError(`${at}: item ${event.item.id} added twice`);
          if (!this.streamOptions) protocolError(`${at}: item ${event.item.id} added before stream_options`);
          this.items.set(event.item.id, { type: event.item.type, state: 'open', parts: new Map() });
          break;
        }
        case 'thread.item.updated':
          this.checkUpdate(at, event);
          break;
        case 'thread.item.done': {
          const item = this.items.get(event.item.id);
          if (item && item.state !== 'open') protocolError(`${at}: item ${event.item.id} done while ${item.state}`);
          if (item)
            for (const [index, state] of item.parts)
              if (state === 'open') protocolError(`${at}: item ${event.item.id} done before content_part.done of part ${index}`);
          this.items.set(event.item.id, { type: event.item.type, state: 'done', parts: item ? item.parts : new Map() });
          if (event.item.type === 'assistant_message') this.answered = true;
          break;
        }
        case 'thread.item.replaced':
          if (!this.streamOptions) protocolError(`${at}: item ${event.item.id} replaced before stream_options`);
          if (!this.items.has(event.item.id) && !this.shown.has(event.item.id)) protocolError(`${at}: replaced item ${event.item.id}, which was never shown`);
          break;
        case 'thread.item.removed': {
          const item = this.items.get(event.item_id);
          if (!item && this.shown.delete(event.item_id)) break;
          if (!item || item.state === 'removed') protocolError(`${at}: removed item ${event.item_id}, which was ${item ? 'already removed' : 'never seen'}`);
          else item.state = 'removed';
          break;
        }
        case 'error':
          if (this.answered) protocolError(`${at}: error after the answer was complete`);
          this.errored = true;
          break;
        default:
          break;
      }
    }

    checkUpdate(at, event) {
      const item = this.items.get(event.item_id);
      if (!item) return protocolError(`${at}: update ${event.update.type} for item ${event.item_id}, never added`);
      if (item.state !== 'open') return protocolError(`${at}: update ${event.update.type} for item ${event.item_id} after it was ${item.state}`);
      const kind = event.update.type.split('.')[0];
      if (kind !== item.type) return protocolError(`${at}: ${event.update.type} on a ${item.type} item`);
      const index = event.update.content_index;
      switch (event.update.type) {
        case 'assistant_message.content_part.added':
          if (item.parts.has(index)) protocolError(`${at}: content part ${index} added twice`);
          item.parts.set(index, 'open');
          break;
        case 'assistant_message.content_part.text_delta':
        case 'assistant_message.content_part.annotation_added':
        case 'assistant_message.content_part.done':
          if (item.parts.get(index) !== 'open') protocolError(`${at}: content part ${index} is ${item.parts.get(index) || 'not added'}`);
          if (event.update.type.endsWith('.done')) item.parts.set(index, 'done');
          break;
        default:
          break;
      }
    }

    end() {
      for (const [id, item] of this.items)
        if (item.state === 'open') protocolError(`${this.requestType}: the stream ended without thread.item.done for ${item.type} ${id}`);
    }
  }

  class StandinChatKit extends HTMLElement {
    constructor() {
      super();
      this.options = null;
      this.threadId = null;
      this.items = new Map();
      this.streaming = null;
    }

    emit(name, detail) {
      record.events.push(name);
      this.dispatchEvent(new CustomEvent(name, { detail }));
    }

    fail(message) {
      record.errors.push(message);
      this.part('error').textContent = message;
      this.emit('chatkit.error', { error: new Error(message) });
    }

    part(name) {
      return this.querySelector(`[data-standin="${name}"]`);
    }

    setOptions(options) {
      this.options = options;
      const api = options.api || {};
      record.options = JSON.parse(JSON.stringify(options, (key, value) => (typeof value === 'function' ? `[function ${key}]` : value)));
      const hosted = typeof api.getClientSecret === 'function';
      const custom = typeof api.url === 'string';
      this.render();
      if (hosted === custom || (custom && !api.domainKey) || (hosted && 'domainKey' in api)) {
        this.fail('InvalidFrameParamsError: Invalid frame params: ChatKit.create(): ✖ Invalid input → at api');
        return;
      }
      if (hosted) {
        api
          .getClientSecret(null)
          .then((secret) => {
            record.secrets.push(secret);
            this.part('status').textContent = 'connected (hosted)';
            this.emit('chatkit.ready');
          })
          .catch((err) => this.fail(String(err && err.message ? err.message : err)));
      } else {
        // The real element is ready only once its iframe has loaded, never inside setOptions:
        // chatkit-react calls setOptions in a layout effect and listens from a later effect.
        requestAnimationFrame(() =>
          setTimeout(() => {
            this.emit('chatkit.ready');
            this.openInitialThread();
          }),
        );
      }
    }

    render() {
      const o = this.options;
      this.innerHTML = `
        <div data-standin="root" style="display:flex;flex-direction:column;height:100%;font:14px sans-serif">
          <div style="display:flex;gap:8px;align-items:center;padding:8px;border-bottom:1px solid #e5e7eb">
            <strong>ChatKit (local stand-in)</strong><span data-standin="status"></span>
            <button type="button" data-standin="history">History</button>
            <button type="button" data-standin="new-thread">New</button>
            <input data-standin="title" aria-label="Thread title" size="16" />
            <button type="button" data-standin="rename">Rename</button>
            <button type="button" data-standin="delete">Delete</button>
          </div>
          <ul data-standin="history-list" style="margin:0"></ul>
          <p data-standin="greeting"></p>
          <div data-standin="thread" style="flex:1;overflow:auto;padding:8px"></div>
          <div data-standin="error" role="alert" style="color:#b91c1c"></div>
          <form data-standin="composer-form" style="display:flex;gap:8px;padding:8px">
            <textarea data-standin="composer" rows="2" style="flex:1"></textarea>
            <button type="submit" data-standin="send">Send</button>
            <button type="button" data-standin="stop" hidden>Stop</button>
          </form>
        </div>`;
      this.part('greeting').textContent = (o.startScreen && o.startScreen.greeting) || '';
      this.part('composer').placeholder = (o.composer && o.composer.placeholder) || '';
      this.part('composer-form').addEventListener('submit', (event) => {
        event.preventDefault();
        const box = this.part('composer');
        const text = box.value.trim();
        if (text) {
          box.value = '';
          void this.send(text);
        }
      });
      this.part('history').addEventListener('click', () => void this.showHistory());
      this.part('new-thread').addEventListener('click', () => void this.openThread(null));
      this.part('rename').addEventListener('click', () => void this.rename(this.part('title').value));
      this.part('delete').addEventListener('click', () => void this.deleteThread());
      this.part('stop').addEventListener('click', () => this.streaming && this.streaming.abort());
    }

    /** One request; `expect` is 'stream' or the schema shape of the JSON answer. */
    async call(type, params, expect, signal) {
      const api = this.options.api;
      const doFetch = api.fetch || fetch;
      record.requests.push(type);
      const res = await doFetch(api.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(expect === 'stream' ? { accept: 'text/event-stream' } : {}) },
        body: JSON.stringify({ type, params }),
        ...(signal ? { signal } : {}),
      });
      if (!res.ok) throw new Error(`${type} answered HTTP ${res.status}`);
      const contentType = res.headers.get('content-type') || '';
      const wanted = expect === 'stream' ? 'text/event-stream' : 'application/json';
      if (!contentType.startsWith(wanted)) protocolError(`${type}: Content-Type "${contentType}", expected ${wanted}`);
      if (expect === 'stream') return res;
      const body = await res.json();
      conforms(expect, body, `${type} answer`);
      return body;
    }

    async guarded(work) {
      this.part('error').textContent = '';
      try {
        await work();
      } catch (err) {
        this.fail(String((err && err.message) || err));
      }
    }

    async send(text) {
      const input = { content: [{ type: 'input_text', text }], attachments: [], quoted_text: '', inference_options: {} };
      const type = this.threadId ? 'threads.add_user_message' : 'threads.create';
      const params = this.threadId ? { thread_id: this.threadId, input } : { input };
      await this.respond(type, params, [...this.items.keys()]);
    }

    /** One streamed response; `shown` are the item ids the client showed when it was asked for. */
    async respond(type, params, shown) {
      const controller = new AbortController();
      this.streaming = controller;
      this.emit('chatkit.response.start');
      await this.guarded(async () => {
        const res = await this.call(type, params, 'stream', controller.signal);
        const order = new StreamOrder(type, shown);
        try {
          await this.readStream(res, order);
          order.end();
        } catch (err) {
          // The user pressed stop: leaving mid-answer is the client's right, not a protocol error.
          if (!controller.signal.aborted) throw err;
          record.events.push('stream:cancelled');
        }
      });
      this.streaming = null;
      this.part('stop').hidden = true;
      this.emit('chatkit.response.end');
    }

    async readStream(res, order) {
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!/^data: [^\n]+$/.test(frame)) {
            protocolError(`${order.requestType}: a frame that is not one "data: <json>" line: ${JSON.stringify(frame.slice(0, 120))}`);
            continue;
          }
          let event;
          try {
            event = JSON.parse(frame.slice('data: '.length));
          } catch {
            protocolError(`${order.requestType}: a frame whose data is not JSON: ${JSON.stringify(frame.slice(0, 120))}`);
            continue;
          }
          if (!conforms('event', event, `${order.requestType} event ${order.count} (${event && event.type})`)) {
            order.count += 1;
            continue;
          }
          order.check(event);
          this.onEvent(event);
          // A test can press stop at an exact point of the stream (`__chatkitStandin.stopAt`).
          if (record.stopAt && (event.type === record.stopAt || (event.update && event.update.type === record.stopAt))) {
            record.stopAt = null;
            this.streaming.abort();
          }
          if (this.streaming.signal.aborted) throw new DOMException('stopped', 'AbortError');
        }
      }
      if (buffer !== '') protocolError(`${order.requestType}: the stream ended inside a frame: ${JSON.stringify(buffer.slice(0, 120))}`);
    }

    onEvent(event) {
      record.events.push(`stream:${event.type}`);
      switch (event.type) {
        case 'thread.created':
          this.threadId = event.thread.id;
          this.emit('chatkit.thread.change', { threadId: this.threadId });
          break;
        case 'thread.updated':
          this.part('title').value = event.thread.title || '';
          break;
        case 'stream_options':
          this.part('stop').hidden = !event.stream_options.allow_cancel;
          break;
        case 'thread.item.added':
        case 'thread.item.done':
        case 'thread.item.replaced':
          this.upsert(event.item);
          break;
        case 'thread.item.removed':
          this.items.delete(event.item_id);
          this.querySelector(`[data-item-id="${event.item_id}"]`)?.remove();
          break;
        case 'thread.item.updated': {
          const item = this.items.get(event.item_id);
          const update = event.update;
          if (!item) break; // already a protocol error
          if (update.type === 'assistant_message.content_part.added') item.content[update.content_index] = update.content;
          if (update.type === 'assistant_message.content_part.text_delta' && item.content[update.content_index])
            item.content[update.content_index].text += update.delta;
          if (update.type === 'assistant_message.content_part.done') item.content[update.content_index] = update.content;
          if (update.type === 'workflow.task.added' || update.type === 'workflow.task.updated') item.workflow.tasks[update.task_index] = update.task;
          this.upsert(item);
          break;
        }
        case 'client_effect':
          this.emit('chatkit.effect', { name: event.name, data: event.data });
          break;
        case 'error':
        case 'notice':
          this.part('error').textContent = event.message || 'Something went wrong.';
          break;
        default:
          break;
      }
    }

    upsert(item) {
      this.items.set(item.id, JSON.parse(JSON.stringify(item)));
      const thread = this.part('thread');
      let node = this.querySelector(`[data-item-id="${item.id}"]`);
      if (!node) {
        node = document.createElement('div');
        node.dataset.itemId = item.id;
        node.style.margin = '4px 0';
        node.append(document.createElement('span'));
        thread.appendChild(node);
      }
      node.dataset.itemType = item.type;
      if (item.type === 'widget') {
        node.firstChild.textContent = '';
        node.firstChild.replaceChildren(drawWidget(item.widget, (action) => void this.widgetAction(item.id, action)));
        return;
      }
      node.firstChild.textContent = `${item.type === 'user_message' ? 'You' : item.type === 'workflow' ? 'Tool' : 'Assistant'}: ${textOf(item)}`;
      if (item.type === 'assistant_message' && !node.querySelector('[data-standin="feedback"]')) {
        const thumbs = document.createElement('button');
        thumbs.type = 'button';
        thumbs.dataset.standin = 'feedback';
        thumbs.textContent = '👍';
        thumbs.addEventListener('click', () => void this.feedback(item.id, 'positive', thumbs));
        node.append(' ', thumbs);
        this.addRetryButton(node, item);
      }
    }

    /** Every page of `type`, following `after`; repeated ids across pages are protocol errors. */
    async allPages(type, params, shape) {
      const all = [];
      const seen = new Set();
      let after;
      for (;;) {
        const page = await this.call(type, { ...params, limit: PAGE_SIZE, ...(after ? { after } : {}) }, shape);
        for (const entry of page.data) {
          if (seen.has(entry.id)) protocolError(`${type}: ${entry.id} on two pages`);
          seen.add(entry.id);
          all.push(entry);
        }
        if (!page.has_more) return all;
        after = page.after;
      }
    }

    async showHistory() {
      await this.guarded(async () => {
        const threads = await this.allPages('threads.list', { order: 'desc' }, 'threadPage');
        const list = this.part('history-list');
        list.innerHTML = '';
        for (const thread of threads) {
          const li = document.createElement('li');
          const button = document.createElement('button');
          button.type = 'button';
          button.dataset.threadId = thread.id;
          button.textContent = thread.title || '(untitled)';
          button.addEventListener('click', () => void this.openThread(thread.id));
          li.appendChild(button);
          list.appendChild(li);
        }
        this.emit('chatkit.history.open');
      });
    }

    async openThread(threadId) {
      this.threadId = threadId;
      this.items.clear();
      this.part('thread').innerHTML = '';
      this.part('title').value = '';
      this.emit('chatkit.thread.change', { threadId });
      if (!threadId) return;
      this.emit('chatkit.thread.load.start', { threadId });
      await this.guarded(async () => {
        const thread = await this.call('threads.get_by_id', { thread_id: threadId }, 'thread');
        this.part('title').value = thread.title || '';
        // The thread brings its oldest items; items.list, page by page, must list the same ones
        // first (and then any more).
        const items = await this.allPages('items.list', { thread_id: threadId, order: 'asc' }, 'itemPage');
        const first = thread.items.data.map((item) => item.id);
        const listed = items.slice(0, first.length).map((item) => item.id);
        if (JSON.stringify(listed) !== JSON.stringify(first))
          protocolError(`items.list ${JSON.stringify(listed)} disagrees with threads.get_by_id ${JSON.stringify(first)}`);
        if (!thread.items.has_more && items.length !== first.length)
          protocolError(`items.list has ${items.length} items, threads.get_by_id said ${first.length} and no more`);
        for (const item of items) this.upsert(item);
      });
      this.emit('chatkit.thread.load.end', { threadId });
    }

    async rename(title) {
      if (!this.threadId) return;
      await this.guarded(async () => {
        const thread = await this.call('threads.update', { thread_id: this.threadId, title }, 'threadWithoutItems');
        this.part('title').value = thread.title || '';
        this.emit('chatkit.thread.renamed', { threadId: thread.id, title: thread.title });
      });
    }

    async deleteThread() {
      if (!this.threadId) return;
      const threadId = this.threadId;
      await this.guarded(async () => {
        await this.call('threads.delete', { thread_id: threadId }, 'empty');
        this.emit('chatkit.thread.deleted', { threadId });
        await this.openThread(null);
      });
    }

    // --- thread selection from the host page: `initialThread` and the `setThreadId` method ---

    openInitialThread() {
      const initial = this.options && this.options.initialThread;
      if (initial) void this.openThread(initial);
    }

    async setThreadId(threadId) {
      await this.openThread(threadId || null);
    }

    // --- retry (`threadItemActions.retry`): regenerate the answer to the user message before it ---

    addRetryButton(node, item) {
      const actions = this.options && this.options.threadItemActions;
      if (!actions || !actions.retry) return;
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.standin = 'retry';
      button.textContent = 'Retry';
      button.addEventListener('click', () => void this.retryAnswer(item.id));
      node.append(' ', button);
    }

    async retryAnswer(assistantItemId) {
      const ids = [...this.items.keys()];
      const before = ids.slice(0, ids.indexOf(assistantItemId)).reverse();
      const userItemId = before.find((id) => this.items.get(id).type === 'user_message');
      if (!userItemId || !this.threadId) return;
      // What the client does itself on retry: drop everything after the retried message. The
      // server's thread.item.removed events for those items are then expected, not errors.
      for (const id of ids.slice(ids.indexOf(userItemId) + 1)) {
        this.items.delete(id);
        this.querySelector(`[data-item-id="${id}"]`)?.remove();
      }
      await this.respond('threads.retry_after_item', { thread_id: this.threadId, item_id: userItemId }, ids);
    }

    // --- widget actions: server-handled, streamed unless the action says `streaming: false` ---

    async widgetAction(itemId, action) {
      if (!this.threadId || action.handler === 'client') return;
      const params = { thread_id: this.threadId, item_id: itemId, action: { type: action.type, payload: action.payload } };
      if (action.streaming === false) {
        await this.guarded(async () => {
          const answer = await this.call('threads.sync_custom_action', params, 'syncAction');
          if (answer.updated_item) this.upsert(answer.updated_item);
        });
        return;
      }
      await this.respond('threads.custom_action', params, [...this.items.keys()]);
    }

    async feedback(itemId, kind, button) {
      await this.guarded(async () => {
        await this.call('items.feedback', { thread_id: this.threadId, item_ids: [itemId], kind }, 'empty');
        button.dataset.sent = kind;
      });
    }
  }

  customElements.define('openai-chatkit', StandinChatKit);
})();
