package camera

import (
	"errors"

	"cunyou/drivers"
)

// Errors of the cameras, the watched folder and the store. Every error
// the package returns wraps one of them; CodeOf and MessageOf turn it
// into a stable code and the operator's sentence.
var (
	ErrUnreachable   = errors.New("camera unreachable")
	ErrAuth          = errors.New("camera refused the credentials")
	ErrNotJPEG       = errors.New("camera answer is not a JPEG")
	ErrTimeout       = errors.New("camera did not answer in time")
	ErrStatus        = errors.New("camera answered an error")
	ErrFolderMissing = errors.New("watched folder missing")
	ErrFolder        = errors.New("watched folder unreadable")
	ErrBadImage      = errors.New("not a whole JPEG or PNG image")
	ErrTooLarge      = errors.New("image too large")
	ErrStore         = errors.New("image store failed")
	ErrConfig        = errors.New("invalid camera configuration")
)

// Stable error codes, as logs, status pages and the message table key them.
const (
	CodeUnreachable   = "camera.unreachable"
	CodeAuth          = "camera.auth"
	CodeNotJPEG       = "camera.not_jpeg"
	CodeTimeout       = "camera.timeout"
	CodeStatus        = "camera.status"
	CodeFolderMissing = "camera.folder_missing"
	CodeFolder        = "camera.folder"
	CodeBadImage      = "camera.bad_image"
	CodeTooLarge      = "camera.too_large"
	CodeStore         = "camera.store"
	CodeConfig        = "camera.config"
	CodeFailure       = "camera.failure"
)

// Message is what an operator reads about an error: its stable code and a
// sentence in Simplified Chinese (the default) and in English.
type Message = drivers.Message

// messages is the one table of the package's errors. The last row is the
// fallback.
var messages = drivers.MessageTable{
	drivers.Row(ErrUnreachable, CodeUnreachable, "连接不上摄像头，请检查摄像头的电源和网线。", "Cannot reach the camera: check its power and network cable."),
	drivers.Row(ErrAuth, CodeAuth, "摄像头拒绝登录，请检查设置中的用户名和密码。", "The camera refused to log in: check the user name and password in the settings."),
	drivers.Row(ErrNotJPEG, CodeNotJPEG, "摄像头返回的不是照片，请检查设置中的抓图地址。", "The camera did not return a photo: check the snapshot address in the settings."),
	drivers.Row(ErrTimeout, CodeTimeout, "摄像头响应超时，请稍后再试；反复出现时请检查网络。", "The camera did not answer in time: try again shortly; if it keeps happening, check the network."),
	drivers.Row(ErrStatus, CodeStatus, "摄像头返回错误，请检查抓图地址，或重启摄像头。", "The camera answered with an error: check the snapshot address, or restart the camera."),
	drivers.Row(ErrFolderMissing, CodeFolderMissing, "找不到高拍仪的图片文件夹，请打开高拍仪软件，并检查设置中的文件夹。", "The document camera's picture folder is missing: start the document camera's software and check the folder in the settings."),
	drivers.Row(ErrFolder, CodeFolder, "无法读取高拍仪的图片文件夹，请检查文件夹权限。", "The document camera's picture folder cannot be read: check its permissions."),
	drivers.Row(ErrBadImage, CodeBadImage, "图片不完整或格式不支持（只支持 JPEG 和 PNG），请重新拍照。", "The picture is incomplete or not supported (JPEG and PNG only): take it again."),
	drivers.Row(ErrTooLarge, CodeTooLarge, "图片太大，请降低高拍仪或摄像头的分辨率后重新拍照。", "The picture is too large: lower the camera's resolution and take it again."),
	drivers.Row(ErrStore, CodeStore, "照片保存失败，请检查磁盘空间。", "The photo could not be saved: check the free disk space."),
	drivers.Row(ErrConfig, CodeConfig, "摄像头设置有误，请检查设置。", "The camera's settings are wrong: check them."),
	drivers.Row(nil, CodeFailure, "摄像头出现故障，请重启摄像头后再试。", "The camera failed: restart it and try again."),
}

// CodeOf returns the stable code of err; "" for nil.
func CodeOf(err error) string { return messages.CodeOf(err) }

// MessageOf returns the code and the operator's sentences for err.
func MessageOf(err error) Message { return messages.MessageOf(err) }

// Messages lists every code with its sentences, for a host's message table.
func Messages() []Message { return messages.Messages() }
