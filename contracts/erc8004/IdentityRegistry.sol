// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721URIStorage} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721URIStorage.sol";
import {ERC721Utils} from "@openzeppelin/contracts/token/ERC721/utils/ERC721Utils.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";

/// @title ERC-8004 Identity Registry
/// @notice Agents are ERC-721 tokens (id = agentId, token URI = agentURI, pointing at the
/// registration file). On-chain metadata is a key/bytes map per agent; the key `agentWallet` is
/// reserved and changes only with an EIP-712 (EOA) or ERC-1271 (contract) signature of the new
/// wallet. It is cleared whenever the agent changes hands. Each wallet signature works once.
contract IdentityRegistry is ERC721URIStorage, EIP712, IIdentityRegistry {
    /// EIP-712 struct signed by the new wallet (same type as the ERC-8004 reference registry).
    bytes32 public constant AGENT_WALLET_SET_TYPEHASH =
        keccak256("AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)");
    /// A wallet signature may not be valid for longer than this after it is submitted.
    uint256 public constant MAX_DEADLINE_DELAY = 5 minutes;
    string public constant AGENT_WALLET_KEY = "agentWallet";
    bytes32 private constant AGENT_WALLET_KEY_HASH = keccak256("agentWallet");

    uint256 private _nextAgentId;
    mapping(uint256 agentId => mapping(string metadataKey => bytes value)) private _metadata;
    /// EIP-712 digests already consumed by `setAgentWallet` (replay protection).
    mapping(bytes32 digest => bool) public usedWalletDigests;

    constructor() ERC721("AgentIdentity", "AGENT") EIP712("ERC8004IdentityRegistry", "1") {}

    // ---------------------------------------------------------------- registration

    /// @inheritdoc IIdentityRegistry
    function register() external returns (uint256 agentId) {
        agentId = _register("", new MetadataEntry[](0));
    }

    /// @inheritdoc IIdentityRegistry
    function register(string calldata agentURI) external returns (uint256 agentId) {
        agentId = _register(agentURI, new MetadataEntry[](0));
    }

    /// @inheritdoc IIdentityRegistry
    function register(string calldata agentURI, MetadataEntry[] calldata metadata) external returns (uint256 agentId) {
        agentId = _register(agentURI, metadata);
    }

    function _register(string memory agentURI, MetadataEntry[] memory metadata) private returns (uint256 agentId) {
        agentId = _nextAgentId++;
        _mint(msg.sender, agentId);
        if (bytes(agentURI).length > 0) {
            _setTokenURI(agentId, agentURI);
        }
        _writeMetadata(agentId, AGENT_WALLET_KEY, abi.encodePacked(msg.sender));
        for (uint256 i = 0; i < metadata.length; ++i) {
            _requireNotReserved(metadata[i].metadataKey);
            _writeMetadata(agentId, metadata[i].metadataKey, metadata[i].metadataValue);
        }
        emit Registered(agentId, agentURI, msg.sender);
        // Interaction last: a contract owner must accept the token (as `_safeMint` would check).
        ERC721Utils.checkOnERC721Received(msg.sender, address(0), msg.sender, agentId, "");
    }

    /// @inheritdoc IIdentityRegistry
    function setAgentURI(uint256 agentId, string calldata newURI) external {
        _requireOperator(agentId);
        _setTokenURI(agentId, newURI);
        emit URIUpdated(agentId, newURI, msg.sender);
    }

    /// @inheritdoc IIdentityRegistry
    function totalAgents() external view returns (uint256) {
        return _nextAgentId;
    }

    // ---------------------------------------------------------------- metadata

    /// @inheritdoc IIdentityRegistry
    function getMetadata(uint256 agentId, string calldata metadataKey) external view returns (bytes memory) {
        _requireOwned(agentId);
        return _metadata[agentId][metadataKey];
    }

    /// @inheritdoc IIdentityRegistry
    function setMetadata(uint256 agentId, string calldata metadataKey, bytes calldata metadataValue) external {
        _requireOperator(agentId);
        _requireNotReserved(metadataKey);
        _writeMetadata(agentId, metadataKey, metadataValue);
    }

    // ---------------------------------------------------------------- agent wallet

    /// @inheritdoc IIdentityRegistry
    function getAgentWallet(uint256 agentId) external view returns (address) {
        _requireOwned(agentId);
        bytes memory value = _metadata[agentId][AGENT_WALLET_KEY];
        if (value.length == 0) {
            return address(0);
        }
        return address(bytes20(value));
    }

    /// @inheritdoc IIdentityRegistry
    function setAgentWallet(uint256 agentId, address newWallet, uint256 deadline, bytes calldata signature) external {
        address owner = _requireOperator(agentId);
        if (newWallet == address(0)) revert ZeroWallet();
        if (block.timestamp > deadline) revert SignatureExpired(deadline, block.timestamp);
        if (deadline > block.timestamp + MAX_DEADLINE_DELAY) {
            revert DeadlineTooFar(deadline, block.timestamp + MAX_DEADLINE_DELAY);
        }
        bytes32 digest = walletDigest(agentId, newWallet, owner, deadline);
        if (usedWalletDigests[digest]) revert SignatureAlreadyUsed(digest);
        if (!_isWalletSignature(newWallet, digest, signature)) revert InvalidWalletSignature(newWallet);
        usedWalletDigests[digest] = true;
        _writeMetadata(agentId, AGENT_WALLET_KEY, abi.encodePacked(newWallet));
    }

    /// @inheritdoc IIdentityRegistry
    function unsetAgentWallet(uint256 agentId) external {
        _requireOperator(agentId);
        _writeMetadata(agentId, AGENT_WALLET_KEY, "");
    }

    /// @notice The EIP-712 digest `newWallet` signs to become the wallet of `agentId` owned by `owner`.
    /// @param agentId The agent.
    /// @param newWallet The wallet that signs.
    /// @param owner The agent's current owner (a transfer invalidates the signature).
    /// @param deadline The last timestamp the signature is valid at.
    /// @return The digest to sign.
    function walletDigest(uint256 agentId, address newWallet, address owner, uint256 deadline)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(AGENT_WALLET_SET_TYPEHASH, agentId, newWallet, owner, deadline)));
    }

    // ---------------------------------------------------------------- authorisation

    /// @inheritdoc IIdentityRegistry
    function isAuthorizedOrOwner(address spender, uint256 agentId) external view returns (bool) {
        return _isAuthorized(_requireOwned(agentId), spender, agentId);
    }

    // ---------------------------------------------------------------- internals

    /// ECDSA first (EOAs, including EIP-7702 delegated ones), then ERC-1271 for contracts.
    function _isWalletSignature(address wallet, bytes32 digest, bytes calldata signature) private view returns (bool) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == wallet) {
            return true;
        }
        return wallet.code.length > 0 && SignatureChecker.isValidERC1271SignatureNow(wallet, digest, signature);
    }

    function _requireOperator(uint256 agentId) private view returns (address owner) {
        owner = _requireOwned(agentId);
        if (!_isAuthorized(owner, msg.sender, agentId)) revert NotAgentOperator(msg.sender, agentId);
    }

    function _requireNotReserved(string memory metadataKey) private pure {
        if (keccak256(bytes(metadataKey)) == AGENT_WALLET_KEY_HASH) revert ReservedMetadataKey(metadataKey);
    }

    function _writeMetadata(uint256 agentId, string memory metadataKey, bytes memory value) private {
        _metadata[agentId][metadataKey] = value;
        emit MetadataSet(agentId, metadataKey, metadataKey, value);
    }

    /// A transfer (not a mint) clears the verified wallet: the new owner must prove one again.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        address from = _ownerOf(tokenId);
        if (from != address(0) && to != address(0) && _metadata[tokenId][AGENT_WALLET_KEY].length > 0) {
            _writeMetadata(tokenId, AGENT_WALLET_KEY, "");
        }
        return super._update(to, tokenId, auth);
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view override(ERC721URIStorage, IERC165) returns (bool) {
        return interfaceId == type(IIdentityRegistry).interfaceId || super.supportsInterface(interfaceId);
    }
}
