// Entry point of the caduce web UI.
import './app';
