//! A y-websocket client on `yrs`, for driving the server from tests.

use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use touchpoint_core::protocol::{
    ClientMessage, decode_client_frame, encode_sync_step1, encode_sync_step2, encode_update,
};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Transact, TransactionMut, Update};

/// How long any single receive may wait before the test fails.
pub const RECEIVE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the server sent, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    SyncStep1(Vec<u8>),
    SyncStep2(Vec<u8>),
    Update(Vec<u8>),
    Awareness(Vec<u8>),
    Close(Option<(u16, String)>),
}

/// A y-websocket client with its own document.
#[derive(Debug)]
pub struct YClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub doc: Doc,
}

impl YClient {
    /// Opens the socket; fails with the HTTP status if the upgrade is refused.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let (socket, _) = tokio::time::timeout(RECEIVE_TIMEOUT, tokio_tungstenite::connect_async(url))
            .await
            .context("connecting timed out")??;
        Ok(YClient { socket, doc: Doc::new() })
    }

    /// The HTTP status a refused upgrade answered with.
    pub async fn refused_status(url: &str) -> anyhow::Result<u16> {
        match tokio_tungstenite::connect_async(url).await {
            Ok(_) => bail!("the upgrade was accepted"),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Ok(response.status().as_u16()),
            Err(other) => bail!("unexpected error: {other}"),
        }
    }

    /// Sends our state vector, answers the server's, and waits for its answer to ours.
    pub async fn handshake(&mut self) -> anyhow::Result<()> {
        let state_vector = self.doc.transact().state_vector().encode_v1();
        self.send_raw(encode_sync_step1(&state_vector)).await?;
        loop {
            if let Received::SyncStep2(_) = self.receive().await? {
                return Ok(());
            }
        }
    }

    pub async fn send_raw(&mut self, frame: impl Into<Bytes>) -> anyhow::Result<()> {
        self.socket.send(Message::Binary(frame.into())).await.context("sending")
    }

    pub async fn send_message(&mut self, message: Message) -> anyhow::Result<()> {
        self.socket.send(message).await.context("sending")
    }

    /// Changes the local document and sends the change as an update; returns the update.
    pub async fn edit(&mut self, change: impl FnOnce(&mut TransactionMut<'_>)) -> anyhow::Result<Vec<u8>> {
        let update = {
            let before = self.doc.transact().state_vector();
            let mut txn = self.doc.transact_mut();
            change(&mut txn);
            txn.encode_state_as_update_v1(&before)
        };
        self.send_raw(encode_update(&update)).await?;
        Ok(update)
    }

    /// Receives one message, applying document updates and answering the server's state vector.
    pub async fn receive(&mut self) -> anyhow::Result<Received> {
        let received = self.receive_raw().await?;
        match &received {
            Received::SyncStep1(state_vector) => {
                let state_vector = StateVector::decode_v1(state_vector)?;
                let update = self.doc.transact().encode_state_as_update_v1(&state_vector);
                self.send_raw(encode_sync_step2(&update)).await?;
            }
            Received::SyncStep2(update) | Received::Update(update) => {
                self.doc.transact_mut().apply_update(Update::decode_v1(update)?)?;
            }
            Received::Awareness(_) | Received::Close(_) => {}
        }
        Ok(received)
    }

    /// Receives one message without acting on it.
    pub async fn receive_raw(&mut self) -> anyhow::Result<Received> {
        loop {
            let message =
                tokio::time::timeout(RECEIVE_TIMEOUT, self.socket.next()).await.context("nothing received in time")?;
            let frame = match message {
                None => return Ok(Received::Close(None)),
                Some(Err(error)) => bail!("socket error: {error}"),
                Some(Ok(Message::Binary(frame))) => frame,
                Some(Ok(Message::Close(frame))) => {
                    return Ok(Received::Close(frame.map(|f| (u16::from(f.code), f.reason.to_string()))));
                }
                Some(Ok(Message::Text(text))) => bail!("the server sent text: {text}"),
                Some(Ok(_)) => continue,
            };
            // Server messages share the client messages' format.
            return Ok(match decode_client_frame(&frame)? {
                ClientMessage::SyncStep1(sv) => Received::SyncStep1(sv.to_vec()),
                ClientMessage::SyncStep2(update) => Received::SyncStep2(update.to_vec()),
                ClientMessage::Update(update) => Received::Update(update.to_vec()),
                ClientMessage::Awareness(update) => Received::Awareness(update.to_vec()),
                ClientMessage::QueryAwareness => bail!("the server queried awareness"),
            });
        }
    }

    /// Receives (and applies) until `done` holds for the document.
    pub async fn receive_until(&mut self, done: impl Fn(&Doc) -> bool) -> anyhow::Result<()> {
        while !done(&self.doc) {
            if let Received::Close(close) = self.receive().await? {
                bail!("closed before the document was as expected: {close:?}");
            }
        }
        Ok(())
    }

    /// Receives until the server closes; returns the close code and reason.
    pub async fn expect_close(&mut self) -> anyhow::Result<(u16, String)> {
        loop {
            match self.receive_raw().await {
                Ok(Received::Close(Some(close))) => return Ok(close),
                Ok(Received::Close(None)) => bail!("the connection ended without a close frame"),
                Ok(_) => {}
                // A reset after the close frame is fine; before it, the frame was lost.
                Err(error) => bail!("no close frame: {error:#}"),
            }
        }
    }

    pub async fn close(mut self) -> anyhow::Result<()> {
        self.socket
            .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: CloseCode::Normal,
                reason: "bye".into(),
            }))
            .await
            .context("closing")
    }
}
