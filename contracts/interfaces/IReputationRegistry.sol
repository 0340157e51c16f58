// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

/// @title ERC-8004 Reputation Registry (Trustless Agents, spec text of 2026-01-25)
/// @notice Clients post signed fixed-point feedback (`value` with `valueDecimals`) about the agents
/// of one Identity Registry; an agent's owner and operators may not rate it. Feedback is 1-indexed
/// per (agent, client), can be revoked by its author, and anyone can append responses to it.
/// @dev Tag filters: an empty `tag1` / `tag2` argument matches every tag.
interface IReputationRegistry {
    // ------------------------------------------------------------------ events

    /// @notice `clientAddress` gave feedback number `feedbackIndex` about `agentId`.
    /// @param agentId The rated agent.
    /// @param clientAddress The client who gave it.
    /// @param feedbackIndex Its 1-based index among this client's feedback on this agent.
    /// @param value The signed fixed-point value.
    /// @param valueDecimals The number of decimals of `value`.
    /// @param indexedTag1 `tag1` again, indexed (topics hold its keccak256).
    /// @param tag1 The first tag.
    /// @param tag2 The second tag.
    /// @param endpoint The endpoint the feedback is about.
    /// @param feedbackURI Where the full feedback is.
    /// @param feedbackHash The hash of the document at `feedbackURI`.
    event NewFeedback(
        uint256 indexed agentId,
        address indexed clientAddress,
        uint64 feedbackIndex,
        int128 value,
        uint8 valueDecimals,
        string indexed indexedTag1,
        string tag1,
        string tag2,
        string endpoint,
        string feedbackURI,
        bytes32 feedbackHash
    );
    /// @notice `clientAddress` revoked its feedback `feedbackIndex` about `agentId`.
    /// @param agentId The rated agent.
    /// @param clientAddress The client who gave and revoked it.
    /// @param feedbackIndex The revoked feedback's index.
    event FeedbackRevoked(uint256 indexed agentId, address indexed clientAddress, uint64 indexed feedbackIndex);
    /// @notice `responder` answered the feedback `(agentId, clientAddress, feedbackIndex)`.
    /// @param agentId The rated agent.
    /// @param clientAddress The client who gave the feedback.
    /// @param feedbackIndex The feedback's index.
    /// @param responder Who answered (anyone may).
    /// @param responseURI Where the response is.
    /// @param responseHash The hash of the document at `responseURI`.
    event ResponseAppended(
        uint256 indexed agentId,
        address indexed clientAddress,
        uint64 feedbackIndex,
        address indexed responder,
        string responseURI,
        bytes32 responseHash
    );

    // ------------------------------------------------------------------ errors

    /// @notice The constructor was given no identity registry.
    error ZeroIdentityRegistry();
    /// @notice `valueDecimals` is above the registry's maximum (18).
    /// @param valueDecimals The refused number of decimals.
    error ValueDecimalsTooLarge(uint8 valueDecimals);
    /// @notice `value` is outside ±1e38.
    /// @param value The refused value.
    error ValueOutOfRange(int128 value);
    /// @notice The owner of an agent, or an operator approved for it, may not rate it.
    /// @param caller The refused caller.
    /// @param agentId The agent it tried to rate.
    error SelfFeedbackNotAllowed(address caller, uint256 agentId);
    /// @notice No feedback has this index (indexes run from 1 to `lastIndex`).
    /// @param feedbackIndex The refused index.
    /// @param lastIndex The client's last index on this agent (0: no feedback).
    error FeedbackIndexOutOfRange(uint64 feedbackIndex, uint64 lastIndex);
    /// @notice This feedback is revoked already.
    /// @param agentId The rated agent.
    /// @param clientAddress The client who gave the feedback.
    /// @param feedbackIndex The feedback's index.
    error FeedbackAlreadyRevoked(uint256 agentId, address clientAddress, uint64 feedbackIndex);
    /// @notice A response must say where it is.
    error EmptyResponseURI();
    /// @notice `getSummary` needs a non-empty list of clients (unfiltered sums are open to Sybil spam).
    error ClientAddressesRequired();

    // ------------------------------------------------------------------ functions

    /// @notice The Identity Registry whose agents this registry rates.
    /// @return The Identity Registry's address.
    function getIdentityRegistry() external view returns (address);

    /// @notice Rate `agentId` as the caller (not the agent's owner or operator).
    /// @param agentId The agent to rate (it must exist).
    /// @param value The signed fixed-point value, at most 1e38 in absolute value.
    /// @param valueDecimals Decimals of `value`, 0..18.
    /// @param tag1 The first tag (free text).
    /// @param tag2 The second tag (free text).
    /// @param endpoint The endpoint the feedback is about.
    /// @param feedbackURI Where the full feedback is.
    /// @param feedbackHash The hash of the document at `feedbackURI`.
    function giveFeedback(
        uint256 agentId,
        int128 value,
        uint8 valueDecimals,
        string calldata tag1,
        string calldata tag2,
        string calldata endpoint,
        string calldata feedbackURI,
        bytes32 feedbackHash
    ) external;

    /// @notice Revoke the caller's own feedback `feedbackIndex` about `agentId`.
    /// @param agentId The rated agent.
    /// @param feedbackIndex The index of the caller's feedback to revoke.
    function revokeFeedback(uint256 agentId, uint64 feedbackIndex) external;

    /// @notice Answer the feedback `(agentId, clientAddress, feedbackIndex)` (anyone may).
    /// @param agentId The rated agent.
    /// @param clientAddress The client who gave the feedback.
    /// @param feedbackIndex The feedback's index.
    /// @param responseURI Where the response is (non-empty).
    /// @param responseHash The hash of the document at `responseURI`.
    function appendResponse(
        uint256 agentId,
        address clientAddress,
        uint64 feedbackIndex,
        string calldata responseURI,
        bytes32 responseHash
    ) external;

    /// @notice Count and average of the matching, unrevoked feedback of `clientAddresses`.
    /// @dev The average is expressed with the largest `valueDecimals` among the matches (exact for
    /// every input), lowered one decimal at a time only if it would not fit in int128; it truncates
    /// toward zero. Reverts `ClientAddressesRequired` for an empty client list.
    /// @param agentId The rated agent.
    /// @param clientAddresses The clients whose feedback counts (each counted once).
    /// @param tag1 Only feedback with this first tag (empty: any).
    /// @param tag2 Only feedback with this second tag (empty: any).
    /// @return count The number of matching feedback entries.
    /// @return summaryValue Their average value.
    /// @return summaryValueDecimals The decimals of `summaryValue`.
    function getSummary(uint256 agentId, address[] calldata clientAddresses, string calldata tag1, string calldata tag2)
        external
        view
        returns (uint64 count, int128 summaryValue, uint8 summaryValueDecimals);

    /// @notice One feedback entry; reverts `FeedbackIndexOutOfRange` if it does not exist.
    /// @param agentId The rated agent.
    /// @param clientAddress The client who gave it.
    /// @param feedbackIndex Its index.
    /// @return value The signed fixed-point value.
    /// @return valueDecimals The decimals of `value`.
    /// @return tag1 The first tag.
    /// @return tag2 The second tag.
    /// @return isRevoked Whether its author revoked it.
    function readFeedback(uint256 agentId, address clientAddress, uint64 feedbackIndex)
        external
        view
        returns (int128 value, uint8 valueDecimals, string memory tag1, string memory tag2, bool isRevoked);

    /// @notice Every matching feedback entry of `agentId`, as parallel lists.
    /// @param agentId The rated agent.
    /// @param clientAddresses Only these clients (each once); empty: every client.
    /// @param tag1 Only feedback with this first tag (empty: any).
    /// @param tag2 Only feedback with this second tag (empty: any).
    /// @param includeRevoked Whether revoked feedback is listed too.
    /// @return clients The client of each entry.
    /// @return feedbackIndexes The index of each entry.
    /// @return values The value of each entry.
    /// @return valueDecimals The decimals of each value.
    /// @return tag1s The first tag of each entry.
    /// @return tag2s The second tag of each entry.
    /// @return revokedStatuses Whether each entry is revoked.
    function readAllFeedback(
        uint256 agentId,
        address[] calldata clientAddresses,
        string calldata tag1,
        string calldata tag2,
        bool includeRevoked
    )
        external
        view
        returns (
            address[] memory clients,
            uint64[] memory feedbackIndexes,
            int128[] memory values,
            uint8[] memory valueDecimals,
            string[] memory tag1s,
            string[] memory tag2s,
            bool[] memory revokedStatuses
        );

    /// @notice The number of responses to one feedback (`clientAddress` and `feedbackIndex` set),
    /// to all feedback of one client (`feedbackIndex == 0`), or to all feedback of the agent
    /// (`clientAddress == 0`); from the given `responders`, or from anyone when the list is empty.
    /// @param agentId The rated agent.
    /// @param clientAddress The client (zero: every client).
    /// @param feedbackIndex The feedback's index (0: every feedback of the client).
    /// @param responders Only responses from these (empty: from anyone).
    /// @return count The number of responses.
    function getResponseCount(
        uint256 agentId,
        address clientAddress,
        uint64 feedbackIndex,
        address[] calldata responders
    ) external view returns (uint64 count);

    /// @notice The clients who ever gave feedback about `agentId`, in first-feedback order.
    /// @param agentId The rated agent.
    /// @return The client addresses.
    function getClients(uint256 agentId) external view returns (address[] memory);

    /// @notice The index of `clientAddress`'s last feedback about `agentId` (0: none yet).
    /// @param agentId The rated agent.
    /// @param clientAddress The client.
    /// @return The last feedback index.
    function getLastIndex(uint256 agentId, address clientAddress) external view returns (uint64);
}
