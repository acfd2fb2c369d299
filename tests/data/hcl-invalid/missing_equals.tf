variable "password" {
  default "hunter2-not-echoed"
}
