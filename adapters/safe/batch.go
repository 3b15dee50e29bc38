package safe

import (
	"fmt"

	"github.com/attune-dao/attune/adapters/internal/outfile"
)

// TxBuilderVersion is the Transaction Builder version a batch says made it:
// the app's package.json version (safe-global/safe-react-apps
// apps/tx-builder, 1.18.3 at commit b823488a) whose batch format and
// checksum this package reproduces.
const TxBuilderVersion = "1.18.3"

// Batch is a Transaction Builder batch file, the JSON the Safe{Wallet}
// Transaction Builder app imports (its BatchFile type), in the field
// order the app writes.
type Batch struct {
	Version      string        `json:"version"`
	ChainID      string        `json:"chainId"`
	CreatedAt    int64         `json:"createdAt"` // milliseconds since 1970
	Meta         Meta          `json:"meta"`
	Transactions []Transaction `json:"transactions"`
}

// Meta is a batch's metadata; Checksum is set by Seal.
type Meta struct {
	Name                    string `json:"name"`
	Description             string `json:"description"`
	TxBuilderVersion        string `json:"txBuilderVersion"`
	CreatedFromSafeAddress  string `json:"createdFromSafeAddress"`
	CreatedFromOwnerAddress string `json:"createdFromOwnerAddress"`
	Checksum                string `json:"checksum,omitempty"`
}

// Transaction is one call in a batch. Data is the calldata the app sends
// as it is; ContractMethod and ContractInputsValues describe it for a
// reader (the app shows them, and encodes from them only when Data is
// null). Absent members are written as null, as the app writes them.
type Transaction struct {
	To                   string            `json:"to"`
	Value                string            `json:"value"`
	Data                 *string           `json:"data"`
	ContractMethod       *ContractMethod   `json:"contractMethod"`
	ContractInputsValues map[string]string `json:"contractInputsValues"`
}

// ContractMethod names the function a transaction calls.
type ContractMethod struct {
	Inputs  []ContractInput `json:"inputs"`
	Name    string          `json:"name"`
	Payable bool            `json:"payable"`
}

// ContractInput is one parameter of a ContractMethod.
type ContractInput struct {
	InternalType string `json:"internalType"`
	Name         string `json:"name"`
	Type         string `json:"type"`
}

// Seal computes the batch's checksum as the Transaction Builder does (see
// Checksum), stores it in Meta.Checksum and returns the file: indented
// JSON ending in a newline.
func (b *Batch) Seal() ([]byte, error) {
	b.Meta.Checksum = ""
	raw, err := outfile.JSON(b)
	if err != nil {
		return nil, err
	}
	sum, err := Checksum(raw)
	if err != nil {
		return nil, fmt.Errorf("batch checksum: %w", err)
	}
	b.Meta.Checksum = sum
	return outfile.JSON(b)
}
