// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {IReputationRegistry} from "../interfaces/IReputationRegistry.sol";

/// @title ERC-8004 Reputation Registry
/// @notice Clients post signed fixed-point feedback (`value` with `valueDecimals`) about agents of
/// one Identity Registry; the agent's owner and operators may not rate it. Feedback is 1-indexed
/// per (agent, client), can be revoked by its author, and anyone can append responses.
contract ReputationRegistry is IReputationRegistry {
    int128 public constant MAX_ABS_VALUE = 1e38;
    uint8 public constant MAX_VALUE_DECIMALS = 18;

    struct Feedback {
        int128 value;
        uint8 valueDecimals;
        bool isRevoked;
        string tag1;
        string tag2;
    }

    address private immutable _identityRegistry;

    mapping(uint256 agentId => mapping(address client => mapping(uint64 index => Feedback))) private _feedback;
    mapping(uint256 agentId => mapping(address client => uint64)) private _lastIndex;
    mapping(uint256 agentId => address[]) private _clients;
    mapping(uint256 agentId => mapping(address client => mapping(uint64 index => address[]))) private _responders;
    mapping(
        uint256 agentId => mapping(address client => mapping(uint64 index => mapping(address responder => uint64)))
    ) private _responseCount;

    constructor(address identityRegistry_) {
        if (identityRegistry_ == address(0)) revert ZeroIdentityRegistry();
        _identityRegistry = identityRegistry_;
    }

    /// @inheritdoc IReputationRegistry
    function getIdentityRegistry() external view returns (address) {
        return _identityRegistry;
    }

    // ---------------------------------------------------------------- writes

    /// @inheritdoc IReputationRegistry
    function giveFeedback(
        uint256 agentId,
        int128 value,
        uint8 valueDecimals,
        string calldata tag1,
        string calldata tag2,
        string calldata endpoint,
        string calldata feedbackURI,
        bytes32 feedbackHash
    ) external {
        if (valueDecimals > MAX_VALUE_DECIMALS) {
            revert ValueDecimalsTooLarge(valueDecimals);
        }
        if (value > MAX_ABS_VALUE || value < -MAX_ABS_VALUE) revert ValueOutOfRange(value);
        // Reverts with ERC721NonexistentToken for an unknown agent.
        if (IIdentityRegistry(_identityRegistry).isAuthorizedOrOwner(msg.sender, agentId)) {
            revert SelfFeedbackNotAllowed(msg.sender, agentId);
        }
        uint64 index = _store(agentId, value, valueDecimals, tag1, tag2);
        _emitFeedback(agentId, index, value, valueDecimals, tag1, tag2, endpoint, feedbackURI, feedbackHash);
    }

    /// @inheritdoc IReputationRegistry
    function revokeFeedback(uint256 agentId, uint64 feedbackIndex) external {
        Feedback storage fb = _existing(agentId, msg.sender, feedbackIndex);
        if (fb.isRevoked) revert FeedbackAlreadyRevoked(agentId, msg.sender, feedbackIndex);
        fb.isRevoked = true;
        emit FeedbackRevoked(agentId, msg.sender, feedbackIndex);
    }

    /// @inheritdoc IReputationRegistry
    function appendResponse(
        uint256 agentId,
        address clientAddress,
        uint64 feedbackIndex,
        string calldata responseURI,
        bytes32 responseHash
    ) external {
        if (bytes(responseURI).length == 0) revert EmptyResponseURI();
        _existing(agentId, clientAddress, feedbackIndex);
        if (_responseCount[agentId][clientAddress][feedbackIndex][msg.sender]++ == 0) {
            _responders[agentId][clientAddress][feedbackIndex].push(msg.sender);
        }
        emit ResponseAppended(agentId, clientAddress, feedbackIndex, msg.sender, responseURI, responseHash);
    }

    // ---------------------------------------------------------------- reads

    /// @inheritdoc IReputationRegistry
    function getLastIndex(uint256 agentId, address clientAddress) external view returns (uint64) {
        return _lastIndex[agentId][clientAddress];
    }

    /// @inheritdoc IReputationRegistry
    function getClients(uint256 agentId) external view returns (address[] memory) {
        return _clients[agentId];
    }

    /// @inheritdoc IReputationRegistry
    function readFeedback(uint256 agentId, address clientAddress, uint64 feedbackIndex)
        external
        view
        returns (int128 value, uint8 valueDecimals, string memory tag1, string memory tag2, bool isRevoked)
    {
        Feedback storage fb = _existing(agentId, clientAddress, feedbackIndex);
        return (fb.value, fb.valueDecimals, fb.tag1, fb.tag2, fb.isRevoked);
    }

    /// @inheritdoc IReputationRegistry
    function getSummary(uint256 agentId, address[] calldata clientAddresses, string calldata tag1, string calldata tag2)
        external
        view
        returns (uint64 count, int128 summaryValue, uint8 summaryValueDecimals)
    {
        if (clientAddresses.length == 0) revert ClientAddressesRequired();
        return _summary(agentId, clientAddresses, _filterHash(tag1), _filterHash(tag2));
    }

    function _summary(uint256 agentId, address[] memory clientAddresses, bytes32 tag1Hash, bytes32 tag2Hash)
        private
        view
        returns (uint64 count, int128 summaryValue, uint8 summaryValueDecimals)
    {
        int256 sumWad;
        uint8 maxDecimals;
        for (uint256 i = 0; i < clientAddresses.length; ++i) {
            // A client listed twice is counted once (its feedback is not worth twice as much).
            if (_listedBefore(clientAddresses, i)) continue;
            (int256 s, uint64 n, uint8 d) = _sumClient(agentId, clientAddresses[i], tag1Hash, tag2Hash);
            sumWad += s;
            count += n;
            if (d > maxDecimals) maxDecimals = d;
        }
        if (count == 0) return (0, 0, 0);
        int256 average = (sumWad / int256(uint256(count))) / int256(10 ** uint256(MAX_VALUE_DECIMALS - maxDecimals));
        while (average > type(int128).max || average < type(int128).min) {
            average /= 10;
            --maxDecimals;
        }
        summaryValue = int128(average);
        summaryValueDecimals = maxDecimals;
    }

    /// @inheritdoc IReputationRegistry
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
        )
    {
        address[] memory clientList = _clients[agentId];
        if (clientAddresses.length > 0) clientList = clientAddresses;
        bytes32 tag1Hash = _filterHash(tag1);
        bytes32 tag2Hash = _filterHash(tag2);
        uint256 total;
        for (uint256 i = 0; i < clientList.length; ++i) {
            if (_listedBefore(clientList, i)) continue;
            uint64 last = _lastIndex[agentId][clientList[i]];
            for (uint64 j = 1; j <= last; ++j) {
                if (_matches(_feedback[agentId][clientList[i]][j], tag1Hash, tag2Hash, includeRevoked)) ++total;
            }
        }
        clients = new address[](total);
        feedbackIndexes = new uint64[](total);
        values = new int128[](total);
        valueDecimals = new uint8[](total);
        tag1s = new string[](total);
        tag2s = new string[](total);
        revokedStatuses = new bool[](total);
        uint256 k;
        for (uint256 i = 0; i < clientList.length; ++i) {
            if (_listedBefore(clientList, i)) continue;
            uint64 last = _lastIndex[agentId][clientList[i]];
            for (uint64 j = 1; j <= last; ++j) {
                Feedback storage fb = _feedback[agentId][clientList[i]][j];
                if (!_matches(fb, tag1Hash, tag2Hash, includeRevoked)) continue;
                clients[k] = clientList[i];
                feedbackIndexes[k] = j;
                values[k] = fb.value;
                valueDecimals[k] = fb.valueDecimals;
                tag1s[k] = fb.tag1;
                tag2s[k] = fb.tag2;
                revokedStatuses[k] = fb.isRevoked;
                ++k;
            }
        }
    }

    /// @inheritdoc IReputationRegistry
    function getResponseCount(
        uint256 agentId,
        address clientAddress,
        uint64 feedbackIndex,
        address[] calldata responders
    ) external view returns (uint64 count) {
        if (clientAddress == address(0)) {
            address[] storage clients = _clients[agentId];
            for (uint256 i = 0; i < clients.length; ++i) {
                count += _countClient(agentId, clients[i], responders);
            }
        } else if (feedbackIndex == 0) {
            count = _countClient(agentId, clientAddress, responders);
        } else {
            count = _countOne(agentId, clientAddress, feedbackIndex, responders);
        }
    }

    // ---------------------------------------------------------------- internals

    /// Whether `list[i]` already appears in `list[0..i)`: each listed client is read once.
    function _listedBefore(address[] memory list, uint256 i) private pure returns (bool) {
        for (uint256 j = 0; j < i; ++j) {
            if (list[j] == list[i]) return true;
        }
        return false;
    }

    function _store(uint256 agentId, int128 value, uint8 valueDecimals, string calldata tag1, string calldata tag2)
        private
        returns (uint64 index)
    {
        index = ++_lastIndex[agentId][msg.sender];
        if (index == 1) {
            _clients[agentId].push(msg.sender);
        }
        _feedback[agentId][msg.sender][index] =
            Feedback({value: value, valueDecimals: valueDecimals, isRevoked: false, tag1: tag1, tag2: tag2});
    }

    /// Separate frame (memory strings) to keep the 11-field event within the EVM stack.
    function _emitFeedback(
        uint256 agentId,
        uint64 index,
        int128 value,
        uint8 valueDecimals,
        string memory tag1,
        string memory tag2,
        string memory endpoint,
        string memory feedbackURI,
        bytes32 feedbackHash
    ) private {
        emit NewFeedback(
            agentId, msg.sender, index, value, valueDecimals, tag1, tag1, tag2, endpoint, feedbackURI, feedbackHash
        );
    }

    /// Sum (scaled to 18 decimals), count and largest decimals of one client's matching feedback.
    function _sumClient(uint256 agentId, address client, bytes32 tag1Hash, bytes32 tag2Hash)
        private
        view
        returns (int256 sumWad, uint64 count, uint8 maxDecimals)
    {
        uint64 last = _lastIndex[agentId][client];
        for (uint64 j = 1; j <= last; ++j) {
            Feedback storage fb = _feedback[agentId][client][j];
            if (!_matches(fb, tag1Hash, tag2Hash, false)) continue;
            sumWad += int256(fb.value) * int256(10 ** uint256(MAX_VALUE_DECIMALS - fb.valueDecimals));
            if (fb.valueDecimals > maxDecimals) maxDecimals = fb.valueDecimals;
            ++count;
        }
    }

    function _existing(uint256 agentId, address client, uint64 feedbackIndex) private view returns (Feedback storage) {
        uint64 last = _lastIndex[agentId][client];
        if (feedbackIndex == 0 || feedbackIndex > last) revert FeedbackIndexOutOfRange(feedbackIndex, last);
        return _feedback[agentId][client][feedbackIndex];
    }

    function _filterHash(string calldata tag) private pure returns (bytes32) {
        return bytes(tag).length == 0 ? bytes32(0) : keccak256(bytes(tag));
    }

    function _matches(Feedback storage fb, bytes32 tag1Hash, bytes32 tag2Hash, bool includeRevoked)
        private
        view
        returns (bool)
    {
        if (fb.isRevoked && !includeRevoked) return false;
        if (tag1Hash != bytes32(0) && keccak256(bytes(fb.tag1)) != tag1Hash) return false;
        if (tag2Hash != bytes32(0) && keccak256(bytes(fb.tag2)) != tag2Hash) return false;
        return true;
    }

    function _countClient(uint256 agentId, address client, address[] calldata responders)
        private
        view
        returns (uint64 count)
    {
        uint64 last = _lastIndex[agentId][client];
        for (uint64 j = 1; j <= last; ++j) {
            count += _countOne(agentId, client, j, responders);
        }
    }

    function _countOne(uint256 agentId, address client, uint64 feedbackIndex, address[] calldata responders)
        private
        view
        returns (uint64 count)
    {
        mapping(address => uint64) storage counts = _responseCount[agentId][client][feedbackIndex];
        if (responders.length == 0) {
            address[] storage all = _responders[agentId][client][feedbackIndex];
            for (uint256 k = 0; k < all.length; ++k) {
                count += counts[all[k]];
            }
        } else {
            for (uint256 k = 0; k < responders.length; ++k) {
                count += counts[responders[k]];
            }
        }
    }
}
