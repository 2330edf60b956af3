package auth

var CheckTOTP = checkTOTP
