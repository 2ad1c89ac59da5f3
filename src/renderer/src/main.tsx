import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBridgeApi } from './api/bridgeApi';
import { App } from './components/App';
import './styles.css';

// In Electron the preload provides window.api; in a browser the web bridge does.
if (!('api' in window)) {
  Object.defineProperty(window, 'api', { value: createBridgeApi(), writable: false, configurable: false });
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
