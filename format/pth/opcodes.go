package pth

// Pickle opcodes understood by the unpickler.
const (
	opMark          = '('
	opStop          = '.'
	opPop           = '0'
	opPopMark       = '1'
	opDup           = '2'
	opBinFloat      = 'G'
	opBinInt        = 'J'
	opBinInt1       = 'K'
	opBinInt2       = 'M'
	opNone          = 'N'
	opBinPersID     = 'Q'
	opReduce        = 'R'
	opBinUnicode    = 'X'
	opBinBytes      = 'B'
	opShortBinBytes = 'C'
	opEmptyList     = ']'
	opAppend        = 'a'
	opBuild         = 'b'
	opGlobal        = 'c'
	opDict          = 'd'
	opAppends       = 'e'
	opBinGet        = 'h'
	opLongBinGet    = 'j'
	opList          = 'l'
	opBinPut        = 'q'
	opLongBinPut    = 'r'
	opSetItem       = 's'
	opTuple         = 't'
	opSetItems      = 'u'
	opEmptyDict     = '}'
	opEmptyTuple    = ')'
	opProto         = 0x80
	opNewObj        = 0x81
	opTuple1        = 0x85
	opTuple2        = 0x86
	opTuple3        = 0x87
	opNewTrue       = 0x88
	opNewFalse      = 0x89
	opLong1         = 0x8a
	opLong4         = 0x8b
	opShortBinUni   = 0x8c
	opBinUnicode8   = 0x8d
	opBinBytes8     = 0x8e
	opStackGlobal   = 0x93
	opMemoize       = 0x94
	opFrame         = 0x95
)

// highestProtocol is the newest pickle protocol understood.
const highestProtocol = 5
