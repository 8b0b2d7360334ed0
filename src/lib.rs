//! hipboard: a HipChat Connect add-on that brings dynaBOARD (a customer portal in front of JIRA)
//! into chat rooms. See DESIGN.md for the architecture and the contracts.

pub mod app;
pub mod auth;
pub mod cards;
pub mod check;
pub mod clock;
pub mod config;
pub mod dispatch;
pub mod dynaboard;
pub mod error;
pub mod handlers;
pub mod hipchat;
pub mod locks;
pub mod memes;
pub mod metrics;
pub mod model;
pub mod net;
pub mod pipeline;
pub mod requests;
pub mod runtime;
pub mod store;
pub mod views;
pub mod web;
