import { memo } from 'react';
import { isAgentName } from '@shared/agentNames';
import type { TokenCounts } from '@shared/contract/usage';
import type { Language } from '@shared/settings';
import { formatCount } from '../../format';
import { errorText, useT, type Translate } from '../../i18n';
import { useAppStore } from '../../store/appStore';
import type { ChatItem } from '../../store/chatStore';
import { Markdown } from '../Markdown';
import { ProductCard } from '../ProductCard';

/** Estimated counts (offline planner) are marked as approximate. */
export function tokenCount(counts: TokenCounts, value: number, language: Language): string {
  return `${counts.estimated ? '≈ ' : ''}${formatCount(value, language)}`;
}

/** The hover text of a turn's answers: its tokens as Gemini counted them. */
function turnUsageText(t: Translate, usage: TokenCounts, language: Language): string {
  return t('usage.turn', {
    total: tokenCount(usage, usage.totalTokens, language),
    prompt: formatCount(usage.promptTokens, language),
    output: formatCount(usage.outputTokens, language),
    cached: formatCount(usage.cachedTokens, language),
    calls: usage.modelCalls,
  });
}

export function agentLabel(t: Translate, agent: string): string {
  return isAgentName(agent) ? t(`agent.${agent}`) : agent;
}

export function usageOf(item: ChatItem, turnUsage: Record<string, TokenCounts>): TokenCounts | undefined {
  return item.kind === 'assistant' && item.turnId ? turnUsage[item.turnId] : undefined;
}

/**
 * One item of the conversation. Rows re-render only when their item (or its turn's usage) changes,
 * not on every scroll frame. A product card keeps its quantity and "Đã thêm 2" in the chat store
 * under the item's id (the run and the call, the same live and when read again) and its SKU.
 */
export const ChatItemView = memo(function ChatItemView(props: { item: ChatItem; usage: TokenCounts | undefined; onRetry: (text: string) => void }) {
  const { item, usage, onRetry } = props;
  const t = useT();
  const language = useAppStore((state) => state.language);
  switch (item.kind) {
    case 'user':
      return (
        <div className="message message-user" data-testid="message-user">
          <div className="message-author">{t('chat.you')}</div>
          <div className="message-text">{item.text}</div>
        </div>
      );
    case 'assistant':
      return (
        <div
          className="message message-assistant"
          data-testid="message-assistant"
          aria-busy={item.streaming}
          title={usage ? turnUsageText(t, usage, language) : undefined}
        >
          <div className="message-author">{t('chat.assistant')}</div>
          <Markdown text={item.text} />
        </div>
      );
    case 'products':
      return (
        <div className="product-results" data-testid="product-results">
          {item.foundBy && item.foundBy !== 'exact' && (
            <div className="muted" data-testid="found-by">
              {t('product.foundBy', { step: t(`step.${item.foundBy}`) })}
              {item.tried.length > 0 ? ` · ${t('product.tried', { tried: item.tried.join('; ') })}` : ''}
            </div>
          )}
          <div className="product-grid">
            {item.products.map((product) => (
              <ProductCard key={product.sku} product={product} canAdd stateKey={`${item.id}:${product.sku}`} />
            ))}
          </div>
        </div>
      );
    case 'transfer':
      return <div className="message-note muted">{t('activity.transfer', { agent: agentLabel(t, item.to) })}</div>;
    case 'notice':
      return <div className="message-note muted">{t('chat.cancelled')}</div>;
    case 'error':
      return (
        <div className="message message-error" role="alert" data-code={item.code}>
          <span>{errorText(t, item.code)}</span>
          {item.retryText && (
            <button type="button" onClick={() => onRetry(item.retryText!)}>
              {t('chat.retry')}
            </button>
          )}
        </div>
      );
  }
});
